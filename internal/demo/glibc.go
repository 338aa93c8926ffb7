package demo

import (
	"fmt"
	"strings"
)

// glibcExports are a few of libc's symbols, for the dynamic symbol table.
var glibcExports = []string{"__libc_start_main", "malloc", "free", "printf", "setlocale", "getaddrinfo",
	"getpwnam", "getservbyname", "iconv_open", "tzset", "pthread_create", "dlopen"}

// glibcLibs are glibc's libraries besides libc and the loader: file name,
// size and a few of the functions it defines.
var glibcLibs = []struct {
	name    string
	size    int
	exports []string
}{
	{"libm.so.6", 552_312, []string{"sin", "cos", "exp", "log", "pow", "sqrt"}},
	{"libresolv.so.2", 68_104, []string{"res_query", "res_search", "dn_expand"}},
	{"libnss_files.so.2", 14_480, []string{"_nss_files_getpwnam_r", "_nss_files_getservbyname_r"}},
	{"libnss_dns.so.2", 14_480, []string{"_nss_dns_gethostbyname4_r"}},
	{"libpthread.so.0", 14_536, []string{"pthread_create", "pthread_join"}},
	{"libdl.so.2", 14_432, []string{"dlopen", "dlsym"}},
	{"librt.so.1", 14_664, []string{"clock_gettime", "shm_open"}},
	{"libutil.so.1", 14_424, []string{"openpty", "forkpty"}},
}

// gconvModules are the iconv modules of glibc's lib/gconv: module name,
// size, the helper libraries of the same directory it needs, whether it
// is listed in gconv-modules (else gconv-modules.d/gconv-modules-extra.conf)
// and its aliases.
var gconvModules = []struct {
	name    string
	charset string
	size    int
	needs   []string
	main    bool
	aliases []string
}{
	{"ISO8859-1", "ISO-8859-1", 18_536, nil, true, []string{"ISO-IR-100", "ISO_8859-1:1987", "ISO_8859-1", "ISO8859-1", "ISO88591", "LATIN1", "L1", "IBM819", "CP819", "CSISOLATIN1", "8859_1", "OSF00010001"}},
	{"ISO8859-15", "ISO-8859-15", 22_632, nil, true, []string{"ISO8859-15", "ISO885915", "ISO-IR-203", "ISO_8859-15", "LATIN-9", "LATIN9", "ISO_8859-15:1998"}},
	{"ISO8859-2", "ISO-8859-2", 22_632, nil, true, []string{"ISO-IR-101", "ISO_8859-2:1987", "ISO_8859-2", "ISO8859-2", "ISO88592", "LATIN2", "L2", "CSISOLATIN2", "8859_2"}},
	{"ISO8859-13", "ISO-8859-13", 22_632, nil, true, []string{"ISO-IR-179", "ISO_8859-13", "ISO8859-13", "ISO885913", "LATIN7", "L7", "BALTIC"}},
	{"UTF-16", "UTF-16", 18_536, nil, true, []string{"UTF16"}},
	{"UTF-32", "UTF-32", 18_536, nil, true, []string{"UTF32"}},
	{"UTF-7", "UTF-7", 22_632, nil, true, []string{"UTF7"}},
	{"UNICODE", "UNICODE", 18_536, nil, true, []string{"CSUNICODE", "UCS-2", "ISO-10646-UCS-2"}},
	{"CP1252", "CP1252", 18_536, nil, false, []string{"MS-ANSI", "WINDOWS-1252"}},
	{"KOI8-R", "KOI8-R", 18_536, nil, false, []string{"CSKOI8R", "KOI8R"}},
	{"EUC-JP", "EUC-JP", 22_632, []string{"libJIS.so"}, false, []string{"EUCJP", "CSEUCPKDFMTJAPANESE", "OSF00030010", "UJIS"}},
	{"SJIS", "SJIS", 104_552, nil, false, []string{"SHIFT-JIS", "SHIFT_JIS", "MS_KANJI", "CSSHIFTJIS", "CP932"}},
	{"ISO-2022-JP", "ISO-2022-JP", 51_312, []string{"libJIS.so", "libGB.so", "libKSC.so"}, false, []string{"CSISO2022JP", "ISO2022JP"}},
	{"EUC-KR", "EUC-KR", 18_536, []string{"libKSC.so"}, false, []string{"EUCKR", "CSEUCKR", "OSF0004000a", "CP970"}},
	{"EUC-CN", "EUC-CN", 18_536, []string{"libGB.so"}, false, []string{"EUCCN", "GB2312", "CSGB2312", "CN-GB"}},
	{"GBK", "GBK", 104_552, nil, false, []string{"CP936", "MS936", "WINDOWS-936", "GB13000"}},
	{"BIG5", "BIG5", 88_168, nil, false, []string{"BIG-FIVE", "BIGFIVE", "BIG-5", "CN-BIG5", "CP950"}},
}

// gconvHelpers are the shared tables some gconv modules need.
var gconvHelpers = []struct {
	name string
	size int
}{
	{"libJIS.so", 104_744},
	{"libGB.so", 67_864},
	{"libKSC.so", 51_480},
}

// glibcMessages are the languages of glibc's own message catalogs and
// the catalogs' sizes.
var glibcMessages = []struct {
	lang string
	size int
}{
	{"de", 138_412}, {"fr", 144_871}, {"ja", 159_662}, {"lv", 112_940}, {"ru", 182_317},
}

// glibc writes glibc's store path: the loader, libc and friends, the
// gconv modules and their configuration, message catalogs and the info
// manual.
func glibc(t *tree, s store) {
	g := s.path("glibc")
	st := t.in(g)
	st.link("lib64", "lib")
	st.elf("lib/ld-linux-x86-64.so.2", elfSpec{
		Soname:  "ld-linux-x86-64.so.2",
		Exports: []string{"_dl_catch_exception", "_dl_signal_error", "__tls_get_addr", "_dl_find_object"},
		Rodata:  []string{g + "/lib", g + "/etc/ld.so.cache", "LD_LIBRARY_PATH", "ld.so.preload"},
		Size:    236_616,
	})
	st.elf("lib/libc.so.6", elfSpec{
		Needed:  []string{"ld-linux-x86-64.so.2"},
		Soname:  "libc.so.6",
		Exports: glibcExports,
		Imports: []string{"_dl_catch_exception", "__tls_get_addr"},
		Rodata: []string{g + "/lib/gconv", g + "/lib/locale/locale-archive", g + "/share/locale",
			"/etc/nsswitch.conf", "/etc/services", "/etc/protocols", "/etc/localtime", "LOCALE_ARCHIVE", "TZDIR"},
		Size: 1_922_216,
	})
	for _, l := range glibcLibs {
		st.elf("lib/"+l.name, elfSpec{
			Needed:  []string{"libc.so.6", "ld-linux-x86-64.so.2"},
			Soname:  l.name,
			Exports: l.exports,
			Imports: []string{"malloc", "free"},
			Size:    l.size,
		})
	}

	// gconv.
	for _, m := range gconvModules {
		spec := elfSpec{
			Needed:  append(append([]string(nil), m.needs...), "libc.so.6"),
			Exports: []string{"gconv", "gconv_init", "gconv_end"},
			Size:    m.size,
		}
		if len(m.needs) > 0 {
			spec.Runpath = "$ORIGIN"
		}
		st.elf("lib/gconv/"+m.name+".so", spec)
	}
	for _, h := range gconvHelpers {
		st.elf("lib/gconv/"+h.name, elfSpec{Needed: []string{"libc.so.6"}, Soname: h.name, Exports: []string{"__" + strings.TrimSuffix(strings.TrimPrefix(h.name, "lib"), ".so") + "_to_ucs4"}, Size: h.size})
	}
	st.file("lib/gconv/gconv-modules", gconvConfig(true))
	st.file("lib/gconv/gconv-modules.d/gconv-modules-extra.conf", gconvConfig(false))

	// Message catalogs (GNU .mo: magic, revision, then tables).
	for _, m := range glibcMessages {
		p := "share/locale/" + m.lang + "/LC_MESSAGES/libc.mo"
		head := []byte{0xde, 0x12, 0x04, 0x95, 0, 0, 0, 0}
		st.file(p, padTo(head, m.size, func(n int) []byte { return prose(g+"/"+p, "", n) }))
	}

	// The info manual, as `info libc` finds it.
	st.file("share/info/libc.info.gz", gzipFile(prose(g+"/share/info/libc.info", "", 6_214)))
	for i := 1; i <= 3; i++ {
		p := fmt.Sprintf("share/info/libc.info-%d.gz", i)
		st.file(p, gzipFile(prose(g+"/"+p, "", 98_000+i*3_111)))
	}
}

// gconvConfig writes gconv-modules (main) or the extra configuration: the
// aliases and the two modules (to and from INTERNAL) of each charset.
func gconvConfig(main bool) []byte {
	var b strings.Builder
	b.WriteString("# GNU libc iconv configuration.\n# Copyright (C) 1997-2024 Free Software Foundation, Inc.\n")
	b.WriteString("# This file is part of the GNU C Library.\n#\n")
	b.WriteString("# All lines contain the following information:\n\n")
	b.WriteString("# If the lines start with `module'\n#  fromset:\tcharset from which the conversion takes place\n")
	b.WriteString("#  toset:\tcharset to which the conversion takes place\n#  filename:\tname of the file with the conversion module\n")
	b.WriteString("#  cost:\tcost of the conversion; default 1\n#\n# If the lines start with `alias'\n")
	b.WriteString("#  alias:\talias name which is not really recognized\n#  name:\tthe real name of the character set\n\n")
	for _, m := range gconvModules {
		if m.main != main {
			continue
		}
		fmt.Fprintf(&b, "#\tfrom\t\t\tto\t\t\tmodule\t\tcost\n")
		for _, a := range m.aliases {
			fmt.Fprintf(&b, "alias\t%-23s %s//\n", a+"//", m.charset)
		}
		fmt.Fprintf(&b, "module\t%-23s INTERNAL\t\t%s\t1\n", m.charset+"//", m.name)
		fmt.Fprintf(&b, "module\tINTERNAL\t\t%-23s %s\t1\n\n", m.charset+"//", m.name)
	}
	return []byte(b.String())
}
