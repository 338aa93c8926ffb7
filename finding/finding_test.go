package finding

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestSortAndSet(t *testing.T) {
	var s Set
	s.Add(Finding{Kind: "link/missing-target", Severity: Warning, Paths: []string{"/b"}, Message: "m"})
	s.Add(Finding{Kind: "config/unknown-key", Severity: Warning, Message: "Environment"})
	s.Add(Finding{Kind: "link/missing-target", Severity: Warning, Paths: []string{"/b"}, Message: "m"})
	s.Add(Finding{Kind: "tar/climbs-out", Severity: Error, Paths: []string{"/a"}, Layer: 2, Message: "x"})
	s.Add(Finding{Kind: "tar/climbs-out", Severity: Error, Paths: []string{"/a"}, Layer: 3, Message: "x"})
	fs := s.List()
	if len(fs) != 4 {
		t.Fatalf("%d findings after dropping one repeat, want 4", len(fs))
	}
	Sort(fs)
	var got []string
	for _, f := range fs {
		got = append(got, f.Kind+" "+f.Path())
	}
	want := []string{"tar/climbs-out /a", "tar/climbs-out /a", "config/unknown-key ", "link/missing-target /b"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order %q, want %q", got, want)
	}
	if e, w, i := Count(fs); e != 2 || w != 2 || i != 0 {
		t.Errorf("Count = %d/%d/%d, want 2/2/0", e, w, i)
	}
	if f := fs[0]; f.Family() != "tar" || f.Name() != "climbs-out" {
		t.Errorf("Family/Name = %q/%q", f.Family(), f.Name())
	}
}

func TestChangeJSONLossless(t *testing.T) {
	b, err := json.Marshal(Finding{Kind: "bloat/docs", Message: "m", Change: &Change{Drop: []string{"/opt/caf\xe9", "/ok"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"kind":"bloat/docs","severity":"","change":{"drop":["/opt/caf\\xe9","/ok"],"drop_bytes":["L29wdC9jYWbp","L29r"]},"family":"bloat","message":"m"}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

func TestSortBiggestFirst(t *testing.T) {
	fs := []Finding{{Kind: "bloat/unreachable", Bytes: 10, Paths: []string{"/a"}}, {Kind: "bloat/unreachable", Bytes: 500, Paths: []string{"/b"}}}
	Sort(fs)
	if fs[0].Path() != "/b" {
		t.Errorf("order %+v, want the 500-byte finding first", fs)
	}
}
