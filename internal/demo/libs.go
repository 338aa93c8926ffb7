package demo

import "fmt"

// smallLib is a library-only store path: one versioned shared object and
// the two symlinks the linker and the loader use.
type smallLib struct {
	short   string // store path
	file    string // versioned file, "libz.so.1.3.1"
	soname  string // "libz.so.1"
	devlink string // "libz.so"
	size    int
	exports []string
}

var smallLibs = []smallLib{
	{"zlib", "libz.so.1.3.1", "libz.so.1", "libz.so", 120_144, []string{"inflate", "deflate", "crc32"}},
	{"libffi", "libffi.so.8.1.4", "libffi.so.8", "libffi.so", 51_944, []string{"ffi_call", "ffi_prep_cif"}},
	{"xz", "liblzma.so.5.4.6", "liblzma.so.5", "liblzma.so", 227_184, []string{"lzma_code", "lzma_stream_decoder"}},
	{"bzip2", "libbz2.so.1.0.8", "libbz2.so.1", "libbz2.so", 79_736, []string{"BZ2_bzDecompress", "BZ2_bzCompress"}},
}

// libraries writes the small library store paths.
func libraries(t *tree, s store) {
	glibcLib := s.path("glibc") + "/lib"
	for _, l := range smallLibs {
		st := t.in(s.path(l.short))
		st.elf("lib/"+l.file, elfSpec{
			Needed:  []string{"libc.so.6"},
			Soname:  l.soname,
			Runpath: glibcLib,
			Exports: l.exports,
			Imports: []string{"malloc", "free", "memcpy"},
			Size:    l.size,
		})
		st.link("lib/"+l.soname, l.file)
		st.link("lib/"+l.devlink, l.file)
	}
}

// openssl writes OpenSSL's store path: libcrypto and libssl, the engines
// and providers, the configuration, and its manual pages.
func openssl(t *tree, s store) {
	o := s.path("openssl")
	st := t.in(o)
	glibcLib := s.path("glibc") + "/lib"
	st.elf("lib/libcrypto.so.3", elfSpec{
		Needed:  []string{"libc.so.6"},
		Soname:  "libcrypto.so.3",
		Runpath: glibcLib,
		Exports: []string{"EVP_DigestInit_ex", "X509_verify_cert", "OPENSSL_init_crypto", "X509_get_default_cert_file"},
		Imports: []string{"malloc", "free", "dlopen", "pthread_once"},
		// OPENSSLDIR is the store path's etc/ssl, whose certs the
		// default verify paths look at; ENGINESDIR and MODULESDIR too.
		Rodata: []string{o + "/etc/ssl", o + "/etc/ssl/certs", o + "/etc/ssl/cert.pem",
			o + "/lib/engines-3", o + "/lib/ossl-modules", "SSL_CERT_FILE", "SSL_CERT_DIR"},
		Size: 1_874_312,
	})
	st.elf("lib/libssl.so.3", elfSpec{
		Needed:  []string{"libcrypto.so.3", "libc.so.6"},
		Soname:  "libssl.so.3",
		Runpath: runpath(o+"/lib", glibcLib),
		Exports: []string{"SSL_new", "SSL_connect", "SSL_CTX_new", "SSL_CTX_set_default_verify_paths"},
		Imports: []string{"EVP_DigestInit_ex", "X509_verify_cert", "malloc"},
		Size:    698_432,
	})
	st.link("lib/libcrypto.so", "libcrypto.so.3")
	st.link("lib/libssl.so", "libssl.so.3")
	for _, m := range []struct {
		rel  string
		size int
	}{{"lib/engines-3/afalg.so", 34_720}, {"lib/engines-3/capi.so", 15_992}, {"lib/engines-3/loader_attic.so", 63_560},
		{"lib/engines-3/padlock.so", 38_816}, {"lib/ossl-modules/legacy.so", 153_088}} {
		st.elf(m.rel, elfSpec{
			Needed:  []string{"libcrypto.so.3", "libc.so.6"},
			Runpath: runpath(o+"/lib", glibcLib),
			Exports: []string{"OSSL_provider_init", "bind_engine"},
			Size:    m.size,
		})
	}
	st.file("etc/ssl/openssl.cnf", opensslCnf())
	st.file("etc/ssl/ct_log_list.cnf", []byte("# This file specifies the Certificate Transparency logs\n# that are to be trusted.\n\n# Google's list of logs can be found here:\n#       www.certificate-transparency.org/known-logs\n# Arrange for that data to be formatted into this file.\n"))
	// Manual pages: a few per section, as the man output would hold them.
	for sec, names := range map[string][]string{
		"man1": {"openssl", "openssl-req", "openssl-x509", "openssl-s_client", "openssl-verify", "openssl-rehash", "openssl-enc", "openssl-dgst"},
		"man3": {"SSL_CTX_new", "SSL_connect", "SSL_read", "SSL_write", "X509_verify_cert", "EVP_DigestInit", "EVP_EncryptInit", "BIO_new",
			"SSL_CTX_set_verify", "SSL_CTX_load_verify_locations", "X509_STORE_add_cert", "PEM_read_bio_X509", "RAND_bytes", "OPENSSL_init_ssl"},
		"man5": {"config", "x509v3_config", "fips_config"},
		"man7": {"ssl", "crypto", "provider", "migration_guide", "openssl-env"},
	} {
		for i, n := range names {
			p := fmt.Sprintf("share/man/%s/%s.%s.gz", sec, n, sec[3:]+"ossl")
			st.file(p, gzipFile(prose(o+"/"+p, "", 7_000+i*1_733)))
		}
	}
}

// opensslCnf is the start of OpenSSL's default configuration.
func opensslCnf() []byte {
	return []byte(`#
# OpenSSL example configuration file.
# See doc/man5/config.pod for more info.
#
# This is mostly being used for generation of certificate requests,
# but may be used for auto loading of providers

# Note that you can include other files from the main configuration
# file using the .include directive.
#.include filename

# This definition stops the following lines choking if HOME isn't
# defined.
HOME			= .

 # Use this in order to automatically load providers.
openssl_conf = openssl_init

[openssl_init]
providers = provider_sect

# List of providers to load
[provider_sect]
default = default_sect

[default_sect]
# activate = 1

[ ca ]
default_ca	= CA_default		# The default ca section

[ CA_default ]
dir		= ./demoCA		# Where everything is kept
certs		= $dir/certs		# Where the issued certs are kept
crl_dir		= $dir/crl		# Where the issued crl are kept
database	= $dir/index.txt	# database index file.
new_certs_dir	= $dir/newcerts		# default place for new certs.
certificate	= $dir/cacert.pem 	# The CA certificate
serial		= $dir/serial 		# The current serial number
private_key	= $dir/private/cakey.pem# The private key
default_days	= 365			# how long to certify for
default_md	= default		# use public key default MD
policy		= policy_match

[ req ]
default_bits		= 2048
default_keyfile 	= privkey.pem
distinguished_name	= req_distinguished_name
string_mask = utf8only
`)
}
