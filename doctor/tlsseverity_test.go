package doctor

import (
	"context"
	"testing"

	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// TestTLSSeverity: with no CA bundle, a program that links OpenSSL but
// reads none of its default CA locations (a server such as nginx) gets a
// note; one that verifies peers with them, an error.
func TestTLSSeverity(t *testing.T) {
	for _, tc := range []struct {
		name    string
		imports []string
		want    finding.Severity
	}{
		{"server that verifies no one", []string{"SSL_new", "SSL_CTX_use_certificate_chain_file"}, finding.Info},
		{"client with the default paths", []string{"SSL_new", "SSL_CTX_set_default_verify_paths"}, finding.Error},
		{"client with the default store", []string{"X509_STORE_set_default_paths"}, finding.Error},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := append(baseFiles(), library("/lib/libcrypto.so.3", "libcrypto.so.3", []string{"libc.so.6"}, `OPENSSLDIR: "/usr/lib/ssl"`),
				program("/bin/app", []string{"libcrypto.so.3", "libc.so.6"}, tc.imports...))
			// The program replaces baseFiles' /bin/app.
			files = append(files[:2], files[3:]...)
			tb, err := reprotar.Bytes(files)
			if err != nil {
				t.Fatal(err)
			}
			im, ix := rawImage(t, map[string]any{"Entrypoint": []string{"/bin/app"}}, nil, [][]byte{tb}, []string{diffID(tb)})
			fs, err := Breakage(context.Background(), im, ix, build(t, im, ix), Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			got := byKind(fs, "tls/no-bundle")
			if len(got) != 1 || got[0].Severity != tc.want {
				for _, f := range fs {
					t.Logf("%s %s: %s", f.Severity, f.Kind, f.Message)
				}
				t.Errorf("tls/no-bundle findings %d, want one %s", len(got), tc.want)
			}
		})
	}
}
