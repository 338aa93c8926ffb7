package doctor

import (
	"context"
	"testing"

	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// TestNSSMissingSeverity: a missing module on a line that also names a
// source glibc has (Debian's "passwd: files systemd") is a note; on a
// line with none, an error when the run program looks that database up
// (getpwnam, getaddrinfo), else a note (Debian's stock "netgroup: nis").
func TestNSSMissingSeverity(t *testing.T) {
	for _, tc := range []struct {
		conf    string
		imports []string
		want    finding.Severity
	}{
		{"passwd: files systemd\n", []string{"getpwnam"}, finding.Info},
		{"netgroup: nis\n", []string{"getpwnam", "getaddrinfo"}, finding.Info},
		{"passwd: files nis\nnetgroup: nis\n", []string{"getpwnam"}, finding.Info},
		{"passwd: nis\n", nil, finding.Info},
		{"passwd: nis\n", []string{"getpwuid_r"}, finding.Error},
		{"hosts: mdns4_minimal [NOTFOUND=return]\n", []string{"getaddrinfo"}, finding.Error},
		{"hosts: mdns4_minimal [NOTFOUND=return]\n", []string{"getpwnam"}, finding.Info},
		{"passwd: files\nnetgroup: nis\n", []string{"innetgr"}, finding.Error},
	} {
		tb, err := reprotar.Bytes(append(baseFiles(tc.imports...), textFile("/etc/nsswitch.conf", tc.conf)))
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
			t.Errorf("%q with %q: severities %v, want [%s]", tc.conf, tc.imports, got, tc.want)
		}
	}
}
