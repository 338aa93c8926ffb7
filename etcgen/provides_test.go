package etcgen

import (
	"reflect"
	"testing"
)

// TestProvides: each kind chosen provides its paths; a kind left out
// provides none.
func TestProvides(t *testing.T) {
	tests := []struct {
		name string
		sel  Selection
		want []string
	}{
		{"nothing", Selection{}, nil},
		{"zones", Selection{Timezones: Names("UTC")}, []string{"/usr/share/zoneinfo", "/usr/lib/zoneinfo", "/usr/share/lib/zoneinfo", "/etc/zoneinfo", "/etc/localtime", "/etc/timezone"}},
		{"certificates and locales", Selection{Certificates: ChooseAll, Locales: Names("C.UTF-8")}, []string{"/etc/ssl/certs", "/etc/ssl/cert.pem", "/etc/ssl/ca-bundle.pem", "/etc/pki",
			"/usr/share/ca-certificates", "/usr/local/share/ca-certificates", "/usr/lib/locale", "/usr/lib64/locale"}},
		{"netdb and users", Selection{Services: Names("http"), Protocols: Names("tcp"), Users: []User{{Name: "root"}}}, []string{"/etc/services", "/etc/protocols", "/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow"}},
	}
	for _, tt := range tests {
		if got := tt.sel.Provides(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
