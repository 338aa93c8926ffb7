package etcgen

import (
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

// TestBrokenSources: a locale-archive that is empty or corrupt, a passwd
// that is a symlink loop and a services file over its bound each break
// their own section only: the others list and plan as before, and choosing
// from a broken section is an error naming the file and the reason.
func TestBrokenSources(t *testing.T) {
	for _, tc := range []struct {
		name    string
		archive []byte
		reason  string
	}{
		{"empty archive", []byte{}, "locale-archive of 0 bytes is shorter than its header"},
		{"corrupt archive", []byte(strings.Repeat("not an archive ", 30)), "not a glibc locale-archive (bad magic)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			im := syntheticImage(t)
			im["usr/lib/locale/locale-archive"] = &fstest.MapFile{Mode: 0o644, Data: tc.archive}
			im["etc/passwd"] = &fstest.MapFile{Mode: fs.ModeSymlink | 0o777, Data: []byte("passwd")}
			im["etc/services"] = &fstest.MapFile{Mode: 0o644, Data: make([]byte, maxNetdbFile+1)}
			c, err := LoadCatalog(im)
			if err != nil {
				t.Fatalf("LoadCatalog: %v", err)
			}
			var got []string
			for _, b := range c.Broken {
				// The resolver words the loop its own way; the file and
				// that it is a loop are what matter.
				if b.Kind == KindUsers && strings.HasSuffix(b.Reason, "too many levels of symbolic links") {
					b.Reason = "loop"
				}
				got = append(got, b.String())
			}
			want := []string{
				"services: skipped /etc/services: reading /etc/services: 8388609 bytes, more than the 8388608 expected",
				"locales: skipped /usr/lib/locale/locale-archive: " + tc.reason,
				"users: skipped /etc/passwd: loop",
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("broken:\n got %q\nwant %q", got, want)
			}
			zones, err := c.Rows(KindTimeZones)
			if err != nil || len(zones) != 7 || c.TimeZonesSource != "/usr/share/zoneinfo" {
				t.Errorf("time zones: %d rows from %s, err %v; want 7 from /usr/share/zoneinfo", len(zones), c.TimeZonesSource, err)
			}
			locs, _ := c.Rows(KindLocales)
			if len(locs) != 1 || locs[0].Name != "C.utf8" || !reflect.DeepEqual(c.LocalesSources, []string{"/usr/lib/locale"}) {
				t.Errorf("locales: %+v from %v; want only the directory's C.utf8", locs, c.LocalesSources)
			}
			if _, err := c.Plan(Selection{Timezones: Names("Europe/Riga"), Protocols: Names("tcp")}); err != nil {
				t.Errorf("choosing from sound sections: %v", err)
			}
			_, err = c.Plan(Selection{Timezones: Names("UTC"), Locales: Names("C.UTF-8"), Services: Names("http")})
			wantErr := "cannot choose locales: /usr/lib/locale/locale-archive could not be read: " + tc.reason +
				"; cannot choose services: /etc/services could not be read: reading /etc/services: 8388609 bytes, more than the 8388608 expected"
			if err == nil || err.Error() != wantErr {
				t.Errorf("choosing from broken sections: %v\nwant %s", err, wantErr)
			}
			_, err = c.Plan(Selection{Users: []User{{Name: "root"}}})
			if err == nil || !strings.HasPrefix(err.Error(), "cannot choose users: /etc/passwd could not be read: ") {
				t.Errorf("choosing users: %v", err)
			}
		})
	}
}
