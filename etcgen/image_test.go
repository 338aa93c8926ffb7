package etcgen

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/whittle-dev/whittle/internal/testfix"

	"github.com/whittle-dev/whittle/internal/localearchive"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	testfix.Golden(t, filepath.Join("testdata", name+".golden"), got, *update)
}

// category builds a compiled locale category file: {magic, nstrings,
// strindex[nstrings]} followed by the NUL-terminated items.
func category(cat int, items ...string) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	hdr := make([]byte, 8+4*len(items))
	le.PutUint32(hdr, localearchive.CategoryMagic(cat))
	le.PutUint32(hdr[4:], uint32(len(items)))
	off := len(hdr)
	var body bytes.Buffer
	for i, it := range items {
		le.PutUint32(hdr[8+4*i:], uint32(off+body.Len()))
		body.WriteString(it)
		body.WriteByte(0)
	}
	b.Write(hdr)
	b.Write(body.Bytes())
	return b.Bytes()
}

// ctypeData is an LC_CTYPE file whose CODESET item is codeset.
func ctypeData(codeset string) []byte {
	items := make([]string, localearchive.CodesetItem+1)
	items[localearchive.CodesetItem] = codeset
	return category(localearchive.LCCtype, items...)
}

// syntheticLocale is a locale whose categories are tiny but well formed:
// LC_CTYPE carries the codeset, LC_IDENTIFICATION the title.
func syntheticLocale(name, codeset, title string, aliases ...string) *localearchive.Locale {
	l := &localearchive.Locale{Name: name, Aliases: aliases}
	for c := 0; c < localearchive.NumCategories; c++ {
		switch c {
		case localearchive.LCAll:
		case localearchive.LCCtype:
			l.Categories[c] = ctypeData(codeset)
		case localearchive.LCIdentification:
			l.Categories[c] = category(c, title, name)
		default:
			l.Categories[c] = category(c, name, localearchive.CategoryNames[c])
		}
	}
	return l
}

// tinyELF is the smallest ELF shared object debug/elf accepts: a header and
// nothing else (no dynamic section, so no needed libraries).
func tinyELF(tag string) []byte {
	h := make([]byte, 64)
	copy(h, "\x7fELF\x02\x01\x01")
	le := binary.LittleEndian
	le.PutUint16(h[16:], 3)  // ET_DYN
	le.PutUint16(h[18:], 62) // EM_X86_64
	le.PutUint32(h[20:], 1)  // EV_CURRENT
	le.PutUint16(h[52:], 64) // ehsize
	le.PutUint16(h[54:], 56) // phentsize
	le.PutUint16(h[58:], 64) // shentsize
	return append(h, tag...)
}

// goZone returns a zone's TZif bytes from Go's database.
func goZone(t testing.TB, name string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(goZoneinfo), int64(len(goZoneinfo)))
	if err != nil {
		t.Fatal(err)
	}
	f, err := zr.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const testServices = `# Network services, Internet style
#
# a comment block the output does not keep

tcpmux		1/tcp				# TCP port service multiplexer
ssh		22/tcp				# SSH Remote Login Protocol
smtp		25/tcp		mail
domain		53/tcp				# Domain Name Server
domain		53/udp
http		80/tcp		www		# WorldWideWeb HTTP
https		443/tcp				# http protocol over TLS/SSL
https		443/udp				# HTTP/3
broken		notaport/tcp
postgresql	5432/tcp	postgres	# PostgreSQL Database
`

const testProtocols = `# Internet (IP) protocols
ip	0	IP		# internet protocol, pseudo protocol number
icmp	1	ICMP		# internet control message protocol
tcp	6	TCP		# transmission control protocol
udp	17	UDP		# user datagram protocol
ipv6	41	IPv6		# Internet Protocol, version 6
bogus	x	BOGUS
`

const testPasswd = `root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
app:x:1000:1000:App User:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
broken line
`

const testGroup = `root:x:0:
daemon:x:1:
www-data:x:33:
app:x:1000:
nogroup:x:65534:
`

const testOSRelease = `PRETTY_NAME="Whittle Test Linux 1"
NAME="Whittle Test Linux"
ID=whittletest
`

// syntheticImage is a small Debian-like root filesystem: every kind of
// data etcgen reads, with the traps real images hold (symlink loops,
// absolute links, posix -> ., a bad PEM block, malformed lines).
func syntheticImage(t testing.TB) fstest.MapFS {
	t.Helper()
	roots, err := os.ReadFile("testdata/test-roots.pem")
	if err != nil {
		t.Fatal(err)
	}
	bundle := append(append([]byte{}, roots...), "\n# junk between blocks\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"...)
	archive, err := localearchive.Build([]*localearchive.Locale{
		syntheticLocale("xx_XX.utf8", "UTF-8", "Test locale X"),
		syntheticLocale("yy_YY", "ISO-8859-1", "Test locale Y", "yy_YY.iso88591"),
	})
	if err != nil {
		t.Fatal(err)
	}
	link := func(target string) *fstest.MapFile {
		return &fstest.MapFile{Mode: fs.ModeSymlink | 0o777, Data: []byte(target)}
	}
	file := func(data []byte) *fstest.MapFile {
		return &fstest.MapFile{Mode: 0o644, Data: data, ModTime: time.Unix(0, 0)}
	}
	dir := &fstest.MapFile{Mode: fs.ModeDir | 0o755}
	gconv := "usr/lib/x86_64-linux-gnu/gconv/"
	return fstest.MapFS{
		"bin":                                               link("usr/bin"),
		"lib":                                               link("usr/lib"),
		"usr/bin/sh":                                        &fstest.MapFile{Mode: 0o755, Data: []byte("#!sh")},
		"usr/lib/x86_64-linux-gnu/libc.so.6":                file([]byte("libc")),
		"etc/services":                                      file([]byte(testServices)),
		"etc/protocols":                                     file([]byte(testProtocols)),
		"etc/passwd":                                        file([]byte(testPasswd)),
		"etc/group":                                         file([]byte(testGroup)),
		"etc/os-release":                                    link("../usr/lib/os-release"),
		"usr/lib/os-release":                                file([]byte(testOSRelease)),
		"etc/ssl/certs/ca-certificates.crt":                 file(bundle),
		"etc/localtime":                                     link("/usr/share/zoneinfo/Etc/UTC"),
		"usr/share/zoneinfo/Europe/Riga":                    file(goZone(t, "Europe/Riga")),
		"usr/share/zoneinfo/Europe/Berlin":                  file(goZone(t, "Europe/Berlin")),
		"usr/share/zoneinfo/Etc/UTC":                        file(goZone(t, "Etc/UTC")),
		"usr/share/zoneinfo/UTC":                            link("Etc/UTC"),
		"usr/share/zoneinfo/Zulu":                           link("/usr/share/zoneinfo/Etc/UTC"),
		"usr/share/zoneinfo/Arctic/Longyearbyen":            link("../Europe/Berlin"),
		"usr/share/zoneinfo/Europe/Loop":                    link("Loop2"),
		"usr/share/zoneinfo/Europe/Loop2":                   link("Loop"),
		"usr/share/zoneinfo/Europe/Escape":                  link("../../../../../../etc/localtime"),
		"usr/share/zoneinfo/posix":                          link("."),
		"usr/share/zoneinfo/right/Europe/Riga":              file(goZone(t, "Europe/Riga")),
		"usr/share/zoneinfo/localtime":                      link("/etc/localtime"),
		"usr/share/zoneinfo/zone.tab":                       file([]byte("# not a zone\n")),
		"usr/share/zoneinfo/Broken":                         link("Nowhere/At/All"),
		"usr/lib/locale/locale-archive":                     file(archive),
		"usr/lib/locale/C.utf8/LC_CTYPE":                    file(ctypeData("UTF-8")),
		"usr/lib/locale/C.utf8/LC_NUMERIC":                  file(category(localearchive.LCNumeric, ".")),
		"usr/lib/locale/C.utf8/LC_TIME":                     file(category(localearchive.LCTime, "Sun")),
		"usr/lib/locale/C.utf8/LC_COLLATE":                  file(category(localearchive.LCCollate, "c")),
		"usr/lib/locale/C.utf8/LC_MONETARY":                 file(category(localearchive.LCMonetary, "$")),
		"usr/lib/locale/C.utf8/LC_MESSAGES":                 dir,
		"usr/lib/locale/C.utf8/LC_MESSAGES/SYS_LC_MESSAGES": file(category(localearchive.LCMessages, "^[yY]")),
		"usr/lib/locale/C.utf8/LC_PAPER":                    file(category(localearchive.LCPaper, "297")),
		"usr/lib/locale/C.utf8/LC_NAME":                     file(category(localearchive.LCName, "%p%t%g%t%m%t%f")),
		"usr/lib/locale/C.utf8/LC_ADDRESS":                  file(category(localearchive.LCAddress, "%a%N%f")),
		"usr/lib/locale/C.utf8/LC_TELEPHONE":                file(category(localearchive.LCTelephone, "+%c %a %l")),
		"usr/lib/locale/C.utf8/LC_MEASUREMENT":              file(category(localearchive.LCMeasurement, "1")),
		"usr/lib/locale/C.utf8/LC_IDENTIFICATION":           file(category(localearchive.LCIdentification, "C locale")),
		"usr/lib/locale/C.UTF-8":                            link("C.utf8"),
		"usr/lib/locale/incomplete/LC_CTYPE":                file([]byte("short")),
		gconv + "gconv-modules": file([]byte("# test gconv config\n" +
			"alias\tISO-IR-100//\tISO-8859-1//\nalias\tLATIN1//\tISO-8859-1//\n" +
			"module\tISO-8859-1//\tINTERNAL\tISO8859-1\t1\nmodule\tINTERNAL\tISO-8859-1//\tISO8859-1\t1\n" +
			"module\tKOI8-R//\tINTERNAL\tKOI8-R\t1\n")),
		gconv + "gconv-modules.d/extra.conf": file([]byte("alias\tLATIN-9//\tISO-8859-15//\nmodule\tISO-8859-15//\tINTERNAL\tISO8859-15\t1\n")),
		gconv + "ISO8859-1.so":               file(tinyELF("iso88591")),
		gconv + "ISO8859-15.so":              file(tinyELF("iso885915")),
	}
}

// noLinkFS hides everything but Open from an fs.FS, as a minimal fs.FS
// without ReadLinkFS would be.
type noLinkFS struct{ fsys fs.FS }

func (n noLinkFS) Open(name string) (fs.File, error) { return n.fsys.Open(name) }

// overlayFS lays files over a base fs.FS: the named files replace (or
// add to) the base's, everything else reads through. It implements the
// interfaces the image-backed fs.FS of analyze implements.
type overlayFS struct {
	base  fs.FS
	files fstest.MapFS
}

func (o overlayFS) has(name string) bool { _, ok := o.files[name]; return ok }

func (o overlayFS) Open(name string) (fs.File, error) {
	if o.has(name) {
		return o.files.Open(name)
	}
	return o.base.Open(name)
}

func (o overlayFS) ReadLink(name string) (string, error) {
	if o.has(name) {
		return o.files.ReadLink(name)
	}
	return fs.ReadLink(o.base, name)
}

func (o overlayFS) Lstat(name string) (fs.FileInfo, error) {
	if o.has(name) {
		return o.files.Lstat(name)
	}
	return fs.Lstat(o.base, name)
}

func (o overlayFS) ReadDir(name string) ([]fs.DirEntry, error) {
	ents, err := fs.ReadDir(o.base, name)
	if err != nil {
		return nil, err
	}
	for i, e := range ents {
		p := e.Name()
		if name != "." {
			p = name + "/" + p
		}
		if o.has(p) {
			fi, err := o.files.Lstat(p)
			if err != nil {
				return nil, err
			}
			ents[i] = fs.FileInfoToDirEntry(fi)
		}
	}
	return ents, nil
}

func (o overlayFS) Stat(name string) (fs.FileInfo, error) {
	if o.has(name) {
		return o.files.Stat(name)
	}
	return fs.Stat(o.base, name)
}

var _ fs.ReadLinkFS = overlayFS{}

// sortedLines is a helper for comparing listings.
func sortedLines(s string) []string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	out := lines[:0]
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
