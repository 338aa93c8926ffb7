package demo

import (
	"fmt"
	"strings"
)

// pythonModules are the pure-Python modules of the standard library the
// demo ships, relative to lib/python3.12, with their sizes.
var pythonModules = []struct {
	rel  string
	size int
}{
	{"abc.py", 6_538}, {"argparse.py", 101_661}, {"ast.py", 64_260}, {"base64.py", 21_139},
	{"bisect.py", 3_423}, {"bz2.py", 11_847}, {"calendar.py", 25_854}, {"codecs.py", 36_870},
	{"configparser.py", 54_612}, {"contextlib.py", 27_637}, {"copy.py", 8_735}, {"csv.py", 16_030},
	{"dataclasses.py", 62_163}, {"datetime.py", 268}, {"decimal.py", 320}, {"difflib.py", 83_308},
	{"dis.py", 30_379}, {"enum.py", 81_557}, {"fnmatch.py", 6_008}, {"fractions.py", 38_167},
	{"functools.py", 38_126}, {"gettext.py", 21_304}, {"glob.py", 8_768}, {"gzip.py", 24_473},
	{"hashlib.py", 9_349}, {"heapq.py", 23_018}, {"hmac.py", 7_716}, {"inspect.py", 126_013},
	{"io.py", 3_582}, {"ipaddress.py", 75_380}, {"keyword.py", 1_073}, {"linecache.py", 5_664},
	{"locale.py", 78_209}, {"lzma.py", 13_277}, {"mimetypes.py", 22_497}, {"numbers.py", 10_236},
	{"operator.py", 10_965}, {"os.py", 39_786}, {"pathlib.py", 52_362}, {"pickle.py", 64_949},
	{"platform.py", 44_174}, {"posixpath.py", 17_564}, {"pprint.py", 24_158}, {"queue.py", 11_496},
	{"random.py", 34_683}, {"selectors.py", 19_457}, {"shlex.py", 13_353}, {"shutil.py", 56_277},
	{"signal.py", 2_495}, {"site.py", 22_873}, {"socket.py", 37_006}, {"socketserver.py", 27_851},
	{"ssl.py", 52_346}, {"stat.py", 5_485}, {"statistics.py", 50_227}, {"string.py", 11_787},
	{"struct.py", 257}, {"subprocess.py", 88_729}, {"sysconfig.py", 31_305}, {"tarfile.py", 106_752},
	{"tempfile.py", 32_012}, {"textwrap.py", 19_772}, {"threading.py", 58_792}, {"token.py", 2_479},
	{"tokenize.py", 21_083}, {"traceback.py", 46_256}, {"types.py", 10_993}, {"typing.py", 116_922},
	{"uuid.py", 29_656}, {"warnings.py", 21_760}, {"weakref.py", 21_513},
	{"asyncio/__init__.py", 1_220}, {"asyncio/base_events.py", 78_389}, {"asyncio/events.py", 29_339},
	{"asyncio/futures.py", 14_184}, {"asyncio/locks.py", 18_994}, {"asyncio/protocols.py", 6_957},
	{"asyncio/queues.py", 7_974}, {"asyncio/runners.py", 7_125}, {"asyncio/selector_events.py", 48_004},
	{"asyncio/sslproto.py", 31_727}, {"asyncio/streams.py", 27_352}, {"asyncio/tasks.py", 37_436},
	{"asyncio/transports.py", 10_722}, {"asyncio/unix_events.py", 52_186},
	{"collections/__init__.py", 52_378}, {"collections/abc.py", 119},
	{"concurrent/__init__.py", 38}, {"concurrent/futures/__init__.py", 1_584}, {"concurrent/futures/_base.py", 22_285},
	{"concurrent/futures/process.py", 36_317}, {"concurrent/futures/thread.py", 8_882},
	{"email/__init__.py", 1_766}, {"email/_policybase.py", 15_534}, {"email/charset.py", 17_063},
	{"email/feedparser.py", 22_780}, {"email/header.py", 24_102}, {"email/message.py", 47_072},
	{"email/parser.py", 5_041}, {"email/utils.py", 16_968},
	{"encodings/__init__.py", 5_620}, {"encodings/aliases.py", 15_677}, {"encodings/ascii.py", 1_248},
	{"encodings/cp1252.py", 13_511}, {"encodings/euc_jp.py", 1_027}, {"encodings/idna.py", 9_710},
	{"encodings/iso8859_1.py", 13_176}, {"encodings/iso8859_15.py", 13_212}, {"encodings/latin_1.py", 1_264},
	{"encodings/utf_16.py", 5_236}, {"encodings/utf_8.py", 1_005},
	{"html/__init__.py", 4_756}, {"html/entities.py", 75_383}, {"html/parser.py", 17_392},
	{"http/__init__.py", 8_321}, {"http/client.py", 57_424}, {"http/cookies.py", 20_482}, {"http/server.py", 48_136},
	{"importlib/__init__.py", 4_774}, {"importlib/_bootstrap.py", 57_120}, {"importlib/_bootstrap_external.py", 69_217},
	{"importlib/machinery.py", 880}, {"importlib/util.py", 10_899},
	{"json/__init__.py", 14_020}, {"json/decoder.py", 12_472}, {"json/encoder.py", 16_073}, {"json/scanner.py", 2_425},
	{"logging/__init__.py", 82_140}, {"logging/config.py", 41_215}, {"logging/handlers.py", 62_129},
	{"re/__init__.py", 17_369}, {"re/_compiler.py", 26_089}, {"re/_constants.py", 5_930}, {"re/_parser.py", 41_201},
	{"urllib/__init__.py", 0}, {"urllib/error.py", 2_415}, {"urllib/parse.py", 44_163}, {"urllib/request.py", 102_106},
	{"zoneinfo/__init__.py", 703}, {"zoneinfo/_common.py", 5_294}, {"zoneinfo/_zoneinfo.py", 24_318},
}

// pythonTests are the standard library's test files the demo ships (and
// its cleanup layer deletes).
var pythonTests = []struct {
	rel  string
	size int
}{
	{"test/__init__.py", 47}, {"test/test_ssl.py", 109_516}, {"test/test_zoneinfo/__init__.py", 40},
	{"test/test_zoneinfo/test_zoneinfo.py", 77_140}, {"test/test_locale.py", 26_388},
	{"test/test_socket.py", 124_155}, {"test/certdata/keycert.pem", 4_058}, {"test/certdata/nullbytecert.pem", 5_435},
}

// dynloadModules are the extension modules of lib-dynload: name, size and
// the libraries (and the store paths holding them) they need beyond libc.
var dynloadModules = []struct {
	name  string
	size  int
	needs []string
	from  []string
}{
	{"_asyncio", 74_680, nil, nil},
	{"_bz2", 26_392, []string{"libbz2.so.1"}, []string{"bzip2"}},
	{"_ctypes", 172_416, []string{"libffi.so.8"}, []string{"libffi"}},
	{"_datetime", 104_208, nil, nil},
	{"_decimal", 194_656, []string{"libm.so.6"}, nil},
	{"_hashlib", 64_960, []string{"libcrypto.so.3"}, []string{"openssl"}},
	{"_json", 59_768, nil, nil},
	{"_lzma", 43_976, []string{"liblzma.so.5"}, []string{"xz"}},
	{"_pickle", 144_904, nil, nil},
	{"_socket", 98_896, nil, nil},
	{"_ssl", 181_288, []string{"libssl.so.3", "libcrypto.so.3"}, []string{"openssl"}},
	{"_struct", 55_176, nil, nil},
	{"_zoneinfo", 44_368, nil, nil},
	{"array", 69_720, nil, nil},
	{"binascii", 32_912, nil, nil},
	{"math", 67_960, []string{"libm.so.6"}, nil},
	{"select", 30_472, nil, nil},
	{"unicodedata", 698_720, nil, nil},
	{"zlib", 47_824, []string{"libz.so.1"}, []string{"zlib"}},
}

// python writes the runtime's store path: the interpreter, its standard
// library, extension modules, tests and manual page.
func python(t *tree, s store) {
	py := s.path("python3")
	st := t.in(py)
	glibc := s.path("glibc")
	lib := py + "/lib/python3.12"
	st.elf("bin/python3.12", elfSpec{
		Interp:  glibc + "/lib/ld-linux-x86-64.so.2",
		Needed:  []string{"libc.so.6", "libm.so.6", "libssl.so.3", "libcrypto.so.3"},
		Runpath: runpath(glibc+"/lib", s.path("openssl")+"/lib"),
		Exports: []string{"Py_BytesMain", "PyRun_SimpleString", "Py_Initialize"},
		Imports: []string{"__libc_start_main", "malloc", "sin", "SSL_new", "EVP_DigestInit_ex"},
		// The prefix and the time zone path (--with-tzpath) are
		// compiled in.
		Rodata: []string{py, lib, lib + "/lib-dynload", s.path("tzdata") + "/share/zoneinfo",
			"PYTHONHOME", "PYTHONPATH", "PYTHONTZPATH"},
		Size: 1_868_104,
	})
	st.link("bin/python3", "python3.12")
	st.link("bin/python", "python3.12")
	for _, sc := range []struct{ name, body string }{
		{"pydoc3.12", "import pydoc\nif __name__ == '__main__':\n    pydoc.cli()\n"},
		{"idle3.12", "from idlelib.pyshell import main\nif __name__ == '__main__':\n    main()\n"},
		{"2to3-3.12", "import sys\nfrom lib2to3.main import main\n\nsys.exit(main(\"lib2to3.fixes\"))\n"},
	} {
		st.exe("bin/"+sc.name, []byte("#!"+py+"/bin/python3.12\n"+sc.body))
	}
	st.link("bin/pydoc3", "pydoc3.12")
	st.link("bin/idle3", "idle3.12")

	for _, m := range pythonModules {
		st.file("lib/python3.12/"+m.rel, pythonSource(lib+"/"+m.rel, m.size))
	}
	for _, m := range pythonTests {
		st.file("lib/python3.12/"+m.rel, pythonSource(lib+"/"+m.rel, m.size))
	}
	for _, m := range dynloadModules {
		dirs := []string{}
		for _, f := range m.from {
			dirs = append(dirs, s.path(f)+"/lib")
		}
		dirs = append(dirs, glibc+"/lib")
		st.elf("lib/python3.12/lib-dynload/"+m.name+".cpython-312-x86_64-linux-gnu.so", elfSpec{
			Needed:  append(append([]string(nil), m.needs...), "libc.so.6"),
			Runpath: runpath(dirs...),
			Exports: []string{"PyInit_" + m.name},
			Imports: []string{"PyModule_Create2", "malloc"},
			Size:    m.size,
		})
	}
	st.file("lib/python3.12/_sysconfigdata__linux_x86_64-linux-gnu.py", sysconfigData(s))
	st.file("lib/python3.12/site-packages/README.txt", []byte("This directory exists so that 3rd party packages can be installed\nhere.  Read the source for site.py for more details.\n"))
	st.file("lib/python3.12/site-packages/sitecustomize.py", siteCustomize(s))
	st.file("share/man/man1/python3.12.1.gz", gzipFile(prose(py+"/share/man/man1/python3.12.1", ".\\\" ", 21_436)))
	st.link("share/man/man1/python3.1.gz", "python3.12.1.gz")
}

// pythonSource is a Python file of exactly size bytes: a docstring and
// imports, then comment filler.
func pythonSource(key string, size int) []byte {
	name := key[strings.LastIndexByte(key, '/')+1:]
	head := fmt.Sprintf("\"\"\"%s: part of the Python standard library.\"\"\"\n\nimport os\nimport sys\n\n", name)
	if size <= len(head) {
		return []byte(head[:size])
	}
	return padTo([]byte(head), size, func(n int) []byte { return prose(key, "# ", n) })
}

// sysconfigData is the build configuration sysconfig reads: the prefix,
// the time zone path nixpkgs configures, and the configure flags naming
// the libraries the interpreter was built against.
func sysconfigData(s store) []byte {
	py := s.path("python3")
	var args []string
	for _, d := range []string{"openssl", "zlib", "libffi", "xz", "bzip2"} {
		args = append(args, fmt.Sprintf("'--with-%s=%s'", d, s.path(d)))
	}
	return []byte(fmt.Sprintf(`# system configuration generated and used by the sysconfig module
build_time_vars = {'ABIFLAGS': '',
 'BINDIR': '%[1]s/bin',
 'CONFIG_ARGS': "'--prefix=%[1]s' '--enable-shared' '--with-computed-gotos' "
                "'--with-system-expat' '--with-tzpath=%[2]s/share/zoneinfo' "
                "%[3]s",
 'HOST_GNU_TYPE': 'x86_64-pc-linux-gnu',
 'LIBDIR': '%[1]s/lib',
 'MULTIARCH': 'x86_64-linux-gnu',
 'SOABI': 'cpython-312-x86_64-linux-gnu',
 'TZPATH': '%[2]s/share/zoneinfo',
 'VERSION': '3.12',
 'prefix': '%[1]s'}
`, py, s.path("tzdata"), strings.Join(args, " ")))
}

// siteCustomize is nixpkgs' sitecustomize.py, which here also records the
// CA bundle the interpreter was tested against (the runtime's reference
// to cacert).
func siteCustomize(s store) []byte {
	return []byte(`"""
This is a Nix-specific module for discovering modules built with
buildPythonPackage. It adds the paths listed in NIX_PYTHONPATH to sys.path
and honours NIX_SSL_CERT_FILE for the ssl module.
"""
import os
import site
import sys
import functools

# The CA bundle the test suite ran against, recorded for
# "python3 -m test test_ssl"; nothing reads it at run time.
BUILD_CA_BUNDLE = "` + s.path("cacert") + `/etc/ssl/certs/ca-bundle.crt"

paths = os.environ.pop('NIX_PYTHONPATH', None)
if paths:
    functools.reduce(lambda k, p: site.addsitedir(p, k), paths.split(':'), site._init_pathinfo())

cafile = os.environ.get('NIX_SSL_CERT_FILE')
if cafile and 'SSL_CERT_FILE' not in os.environ:
    os.environ['SSL_CERT_FILE'] = cafile
`)
}
