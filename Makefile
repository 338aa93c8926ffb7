.PHONY: test demo build bench fuzz

# The whole test suite; installs the Debian tools it drives when missing.
test:
	./scripts/test.sh

# whittle on the built-in demo image.
demo:
	go run ./cmd/whittle audit demo:

build:
	go build -o whittle ./cmd/whittle

# Go benchmarks, then whittle against dive, crane and itself (graph, the
# app's first estimate, findings on 300,000 files) on real images.
bench:
	go test -run XXX -bench . -benchtime 5x ./analyze/... ./closure/... ./etcgen/... ./builder/...
	./bench/audit-vs-dive.sh
	./bench/build-vs-crane.sh
	./bench/graph.sh
	./bench/tui-estimate.sh
	./bench/findings-300k.sh

# A few minutes of each fuzz target; new corpus entries land in testdata.
fuzz:
	./bench/fuzz.sh
