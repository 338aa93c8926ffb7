package tui

import (
	"context"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// BenchmarkEstimateDebian opens the Debian python3 docker archive (gzip
// layers) in the app with no layer cache and waits for the first plan
// estimate: opening, indexing, the closure, the findings and the plan's
// evaluation, as a user waits for them. bench/tui-estimate.sh sets it
// beside a cold `whittle audit` of the same file.
func BenchmarkEstimateDebian(b *testing.B) {
	archive := testfix.DebianTwoLayerArchiveGzip(b)
	for b.Loop() {
		m := resize(New(context.Background(), Options{Ref: "docker-archive:" + archive}), 120, 40)
		r := newRunner(b, m)
		r.timeout = 5 * time.Minute
		r.exec(m.Init())
		r.until(func(msg tea.Msg) bool {
			e, ok := msg.(estimateMsg)
			return ok && e.gen == r.m.estGen && !r.m.estPending
		})
		if !r.m.estKnown {
			b.Fatalf("no estimate: %v", r.m.estErr)
		}
		b.ReportMetric(float64(r.m.estimate), "estimate-bytes")
		r.m.Close()
	}
}
