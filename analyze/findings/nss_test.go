package findings

import (
	"context"
	"testing"

	"github.com/whittle-dev/whittle/builder/reprotar"
	"github.com/whittle-dev/whittle/finding"
)

// TestNSSMissingSeverity: a missing module on a line that also names a
// source glibc has (Debian's "passwd: files systemd") is a note; on a
// line with none ("netgroup: nis") it is a warning.
func TestNSSMissingSeverity(t *testing.T) {
	for _, tc := range []struct {
		conf string
		want finding.Severity
	}{
		{"passwd: files systemd\n", finding.Info},
		{"netgroup: nis\n", finding.Warning},
		{"passwd: files nis\nnetgroup: nis\n", finding.Warning},
	} {
		tb, err := reprotar.Bytes(append(baseFiles(), text("/etc/nsswitch.conf", tc.conf)))
		if err != nil {
			t.Fatal(err)
		}
		im, ix := rawImage(t, map[string]any{"Entrypoint": []string{"/bin/app"}}, nil, [][]byte{tb}, []string{diffID(tb)})
		fs, err := Breakage(context.Background(), im, ix, build(t, im, ix), Options{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		var got []finding.Severity
		for _, f := range fs {
			if f.Kind == "nss/missing-module" {
				got = append(got, f.Severity)
			}
		}
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("%q: severities %v, want [%s]", tc.conf, got, tc.want)
		}
	}
}
