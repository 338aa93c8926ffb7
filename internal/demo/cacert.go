package demo

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// caBundle returns the Mozilla roots of x509roots/fallback as a PEM
// bundle in the layout of nixpkgs' nss-cacert (curl's mk-ca-bundle): a
// header, then for each certificate its name underlined and the PEM
// block, in the fallback bundle's order. It also returns how many
// certificates it holds.
func caBundle() ([]byte, int, error) {
	var b strings.Builder
	b.WriteString("##\n## Bundle of CA Root Certificates\n##\n")
	b.WriteString("## This is a bundle of X.509 certificates of public Certificate Authorities\n")
	b.WriteString("## (CA). These were automatically extracted from Mozilla's root certificates\n")
	b.WriteString("## file (certdata.txt).  This file can be found in the mozilla source tree:\n")
	b.WriteString("## https://hg.mozilla.org/releases/mozilla-release/raw-file/default/security/nss/lib/ckfw/builtins/certdata.txt\n##\n")
	b.WriteString("## It contains the certificates in PEM format and therefore\n")
	b.WriteString("## can be directly used with curl / libcurl / php_curl, or with\n")
	b.WriteString("## an Apache+mod_ssl webserver for SSL client authentication.\n")
	b.WriteString("## Just configure this file as the SSLCACertificateFile.\n##\n\n")
	n := 0
	for r := range bundle.Roots() {
		c, err := x509.ParseCertificate(r.Certificate)
		if err != nil {
			return nil, 0, fmt.Errorf("parsing fallback root %d: %w", n, err)
		}
		name := c.Subject.CommonName
		if name == "" && len(c.Subject.OrganizationalUnit) > 0 {
			name = c.Subject.OrganizationalUnit[0]
		}
		if name == "" && len(c.Subject.Organization) > 0 {
			name = c.Subject.Organization[0]
		}
		fmt.Fprintf(&b, "%s\n%s\n", name, strings.Repeat("=", len(name)))
		b.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: r.Certificate}))
		b.WriteString("\n")
		n++
	}
	return []byte(b.String()), n, nil
}

// cacert writes the nss-cacert store path: the bundle alone.
func cacert(t *tree, s store) (int, error) {
	data, n, err := caBundle()
	if err != nil {
		return 0, err
	}
	st := t.in(s.path("cacert"))
	st.file("etc/ssl/certs/ca-bundle.crt", data)
	return n, nil
}
