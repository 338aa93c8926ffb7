package plan

import (
	"reflect"
	"strings"
	"testing"
)

// TestChecksRoundTrip reads verify: and learn: entries written as lists
// and as maps, and the learned: list, and saves them back unchanged.
func TestChecksRoundTrip(t *testing.T) {
	doc := `source: dir:/tmp/a
verify:
  - [/app/run.sh]
  - {argv: [sh, -c, 'echo $RANDOM'], ignore: ['[0-9]+']}
  - {argv: [httpd, -f], exit_only: true, probe: 'http://127.0.0.1:8080/index.html'}
learn:
  - {probe: 'tcp:8080'}
learned: [/data/file, /app/run.sh]
`
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	wantV := [][]string{{"/app/run.sh"}, {"sh", "-c", "echo $RANDOM"}, {"httpd", "-f"}}
	if !reflect.DeepEqual(p.Verify, wantV) {
		t.Errorf("verify = %q", p.Verify)
	}
	wantO := []CheckOptions{{}, {Ignore: []string{"[0-9]+"}}, {ExitOnly: true, Probe: "http://127.0.0.1:8080/index.html"}}
	if !reflect.DeepEqual(p.VerifyOptions, wantO) {
		t.Errorf("verify options = %+v", p.VerifyOptions)
	}
	if !reflect.DeepEqual(p.Learn, [][]string{{}}) && !reflect.DeepEqual(p.Learn, [][]string{nil}) {
		t.Errorf("learn = %q", p.Learn)
	}
	if !reflect.DeepEqual(p.LearnOptions, []CheckOptions{{Probe: "tcp:8080"}}) {
		t.Errorf("learn options = %+v", p.LearnOptions)
	}
	if !reflect.DeepEqual(p.Learned, []string{"/app/run.sh", "/data/file"}) {
		t.Errorf("learned = %q", p.Learned)
	}
	out, err := Save(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Parse(out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !reflect.DeepEqual(p, q) {
		t.Errorf("round trip changed the plan:\n%s", out)
	}
	again, _ := Save(q)
	if string(again) != string(out) {
		t.Errorf("second save differs:\n%s\n%s", out, again)
	}
}

func TestChecksErrors(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"verify:\n  - {argv: [a], ignor: [x]}\n", `verify[0].ignor: unknown key (did you mean "ignore"?)`},
		{"verify:\n  - {argv: [a], ignore: ['(']}\n", "verify[0].ignore[0]: not a regular expression"},
		{"verify:\n  - {argv: [a], exit_only: yes}\n", `verify[0].exit_only: want true or false, got "yes"`},
		{"learn:\n  - {probe: 'http://example.com/'}\n", "learn[0].probe: want tcp:PORT"},
		{"learned: [data/file]\n", `learned[0]: want an absolute path, got "data/file"`},
		{"learn:\n  - {}\n", "learn[0]: empty command"},
	} {
		_, err := Parse([]byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.doc, err, tc.want)
		}
	}
}
