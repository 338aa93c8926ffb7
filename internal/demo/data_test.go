package demo

import (
	"archive/tar"
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/whittle-dev/whittle/etcgen"
	"github.com/whittle-dev/whittle/internal/localearchive"
)

func TestLocaleArchive(t *testing.T) {
	b := demoBuilt(t)
	c := demoContents(t)
	data := merge(t, b.tars)[c.LocaleArchive].data
	if len(data) != 5_367_440 {
		t.Errorf("locale-archive is %d bytes, want 5367440", len(data))
	}
	a, err := localearchive.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Names(); !reflect.DeepEqual(got, c.Locales) {
		t.Errorf("archive names %q, want %q", got, c.Locales)
	}
	for _, tc := range []struct{ name, codeset, title string }{
		{"C.UTF-8", "UTF-8", "C locale"},
		{"de_DE", "ISO-8859-1", "German locale for Germany"},
		{"en_US.UTF-8", "UTF-8", "English locale for the USA"},
		{"ja_JP", "EUC-JP", "Japanese language locale for Japan"},
		{"ja_JP.UTF-8", "UTF-8", "Japanese language locale for Japan"},
		{"lv_LV.UTF-8", "UTF-8", "Latvian locale for Latvia"},
	} {
		e, ok := a.Lookup(tc.name)
		if !ok {
			t.Errorf("%s is not in the archive", tc.name)
			continue
		}
		cs, err1 := a.Item(e, localearchive.LCCtype, localearchive.CodesetItem)
		title, err2 := a.Item(e, localearchive.LCIdentification, localearchive.TitleItem)
		if cs != tc.codeset || title != tc.title || err1 != nil || err2 != nil {
			t.Errorf("%s: codeset %q title %q (%v, %v), want %q %q", tc.name, cs, title, err1, err2, tc.codeset, tc.title)
		}
	}
	// Locales compiled from the same sources share their data, as in an
	// archive localedef writes.
	de, _ := a.Lookup("de_DE.utf8")
	en, _ := a.Lookup("en_US.utf8")
	lv, _ := a.Lookup("lv_LV.utf8")
	if de.Records[localearchive.LCCtype] != en.Records[localearchive.LCCtype] || de.Records[localearchive.LCCtype] != lv.Records[localearchive.LCCtype] ||
		de.Records[localearchive.LCCollate] != en.Records[localearchive.LCCollate] || lv.Records[localearchive.LCCollate] == en.Records[localearchive.LCCollate] {
		t.Errorf("shared data is not shared: de %v en %v lv %v", de.Records, en.Records, lv.Records)
	}

	localedef, err := exec.LookPath("localedef")
	if err != nil {
		t.Log("localedef is not installed; skipping its listing")
		return
	}
	file := filepath.Join(t.TempDir(), "locale-archive")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(localedef, "--list-archive", file).CombinedOutput()
	if err != nil {
		t.Fatalf("localedef --list-archive: %v\n%s", err, out)
	}
	if got := strings.Fields(string(out)); !reflect.DeepEqual(got, c.Locales) {
		t.Errorf("localedef --list-archive lists %q, want %q", got, c.Locales)
	}
}

func TestNetdbFiles(t *testing.T) {
	svc, skipped := etcgen.ParseServices("services", servicesFile())
	if len(skipped) != 0 || len(svc) != 249 {
		t.Errorf("services: %d entries, skipped %v; want 249, none", len(svc), skipped)
	}
	protos, skipped := etcgen.ParseProtocols("protocols", protocolsFile())
	if len(skipped) != 0 || len(protos) != len(protocols) {
		t.Errorf("protocols: %d entries, skipped %v; want %d, none", len(protos), skipped, len(protocols))
	}
	found := map[string]bool{}
	for _, s := range svc {
		found[s.Name+" "+s.Proto] = true
	}
	for _, want := range []string{"http tcp", "https tcp", "https udp", "domain udp", "ntp udp", "postgresql tcp", "amqp sctp"} {
		if !found[want] {
			t.Errorf("services has no %s", want)
		}
	}
}

func TestCABundle(t *testing.T) {
	b := demoBuilt(t)
	c := demoContents(t)
	data := merge(t, b.tars)[c.CABundle].data
	n := 0
	for rest := data; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
			t.Errorf("certificate %d: %v", n, err)
		}
		n++
	}
	if n != c.Certificates || n < 100 {
		t.Errorf("%d certificates in the bundle, Describe says %d", n, c.Certificates)
	}
	certs, skipped := etcgen.ParseCertificates(c.CABundle, data)
	if len(certs) != n || len(skipped) != 0 {
		t.Errorf("etcgen reads %d certificates, skips %v", len(certs), skipped)
	}
}

// mapFS holds the final file system of the image for fs.FS readers.
func mapFS(t *testing.T, merged map[string]entry) fstest.MapFS {
	m := fstest.MapFS{}
	for p, e := range merged {
		f := &fstest.MapFile{Data: e.data, Mode: fs.FileMode(e.hdr.Mode).Perm()}
		switch e.hdr.Typeflag {
		case tar.TypeDir:
			f.Mode |= fs.ModeDir
		case tar.TypeSymlink:
			f.Mode, f.Data = fs.ModeSymlink|0o777, []byte(e.hdr.Linkname)
		}
		m[strings.TrimPrefix(p, "/")] = f
	}
	return m
}

// TestEtcgenCatalog has etcgen read the final file system: it finds the
// services, certificates, locales, zones and users the demo put there.
func TestEtcgenCatalog(t *testing.T) {
	b := demoBuilt(t)
	c := demoContents(t)
	cat, err := etcgen.LoadCatalog(mapFS(t, merge(t, b.tars)))
	if err != nil {
		t.Fatal(err)
	}
	var users []string
	for _, u := range cat.Users {
		users = append(users, u.Name)
	}
	if cat.ServicesSource != "/etc/services" || len(cat.Services) != 249 || len(cat.Certificates) != c.Certificates ||
		len(cat.Locales) != 8 || len(cat.TimeZones) != len(c.TimeZones) || !cat.Nix || !strings.Contains(strings.Join(users, " "), "hello-web") {
		t.Errorf("catalog: services %s %d, %d certificates, %d locales, %d zones, nix %v, users %q",
			cat.ServicesSource, len(cat.Services), len(cat.Certificates), len(cat.Locales), len(cat.TimeZones), cat.Nix, users)
	}
	for _, s := range cat.Skipped {
		t.Errorf("etcgen skipped %+v", s)
	}
}
