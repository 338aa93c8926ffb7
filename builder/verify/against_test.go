package verify

import (
	"archive/tar"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestAgainst compares a busybox image with itself and with a copy that
// lost /data/file (a whiteout): identical passes, the loss shows in the
// exit status and the first differing lines; exit-only and ignore mask
// what they should, in both sandboxes.
func TestAgainst(t *testing.T) {
	src, srcIx := busyboxImage(t, nil)
	lost, lostIx := busyboxImageOver(t, nil, []tarEntry{{hdr: tar.Header{Name: "data/.wh.file", Typeflag: tar.TypeReg}}})
	run := []string{"/app/run.sh"}
	orMissing := []string{"sh", "-c", "cat /data/file 2>/dev/null || echo missing"}
	cases := []struct {
		name  string
		same  bool
		check Check
		want  []Difference
	}{
		{"identical", true, Check{Argv: run}, nil},
		{"lost", false, Check{Argv: run}, []Difference{
			{What: "exit status", Source: "0", Result: "1"},
			{What: "stdout", Line: 1, Source: "the data\n", Result: ""},
		}},
		{"lost, exit only", false, Check{Argv: run, ExitOnly: true}, []Difference{{What: "exit status", Source: "0", Result: "1"}}},
		{"same exit, other output", false, Check{Argv: orMissing}, []Difference{{What: "stdout", Line: 1, Source: "the data\n", Result: "missing\n"}}},
		{"same exit, exit only", false, Check{Argv: orMissing, ExitOnly: true}, nil},
		{"same exit, ignored", false, Check{Argv: orMissing, Ignore: []string{`(?m)^(the data|missing)$`}}, nil},
		{"stderr", false, Check{Argv: []string{"sh", "-c", "cat /data/file >/dev/null"}}, []Difference{
			{What: "exit status", Source: "0", Result: "1"},
			{What: "stderr", Line: 1, Source: "", Result: "cat: can't open '/data/file': No such file or directory\n"},
		}},
	}
	for _, sb := range sandboxes(t) {
		for _, tc := range cases {
			t.Run(sb.String()+"/"+tc.name, func(t *testing.T) {
				res, resIx := lost, lostIx
				if tc.same {
					res, resIx = src, srcIx
				}
				got, err := Against(context.Background(), src, srcIx, res, resIx, []Check{tc.check}, Options{Sandbox: sb})
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got[0].Diffs, tc.want) {
					t.Errorf("diffs = %+v\nwant %+v", got[0].Diffs, tc.want)
				}
				if got[0].Same() != (tc.want == nil) {
					t.Errorf("Same() = %v", got[0].Same())
				}
			})
		}
	}
}

// TestAgainstProbe starts busybox httpd in both images and asks it on
// loopback inside the sandbox: the same page passes, a lost page differs
// in the answer, a TCP probe connects; a server that never listens is an
// error naming the probe.
func TestAgainstProbe(t *testing.T) {
	src, srcIx := busyboxImage(t, nil)
	lost, lostIx := busyboxImageOver(t, nil, []tarEntry{{hdr: tar.Header{Name: "data/.wh.file", Typeflag: tar.TypeReg}}})
	httpd := []string{"httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/data"}
	for _, sb := range sandboxes(t) {
		t.Run(sb.String(), func(t *testing.T) {
			ctx := context.Background()
			opts := Options{Sandbox: sb}
			got, err := Against(ctx, src, srcIx, src, srcIx, []Check{
				{Argv: httpd, Probe: "http://127.0.0.1:8080/file"},
				{Argv: httpd, Probe: "tcp:8080"},
			}, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !got[0].Same() || string(got[0].Source.Answer) != "200 OK\nthe data\n" {
				t.Errorf("http: %+v, answer %q", got[0].Diffs, got[0].Source.Answer)
			}
			if !got[1].Same() || string(got[1].Source.Answer) != "connected\n" {
				t.Errorf("tcp: %+v, answer %q", got[1].Diffs, got[1].Source.Answer)
			}
			got, err = Against(ctx, src, srcIx, lost, lostIx, []Check{{Argv: httpd, Probe: "http://127.0.0.1:8080/file"}}, opts)
			if err != nil {
				t.Fatal(err)
			}
			if d := got[0].Diffs; len(d) != 1 || d[0].What != "answer" || d[0].Source != "200 OK\n" || d[0].Result != "404 Not Found\n" {
				t.Errorf("lost page: %+v", d)
			}
			_, err = Against(ctx, src, srcIx, src, srcIx, []Check{{Argv: []string{"sleep", "30"}, Probe: "tcp:8080", ProbeTimeout: time.Second}}, opts)
			if err == nil || !strings.Contains(err.Error(), "nothing listened on 127.0.0.1:8080 within 1s") {
				t.Errorf("no listener: %v", err)
			}
		})
	}
}
