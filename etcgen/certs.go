package etcgen

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// Certificate is one CA certificate of the bundle.
type Certificate struct {
	// Name is how plans and the CLI name it: the subject's common name when
	// the bundle has one certificate with it, else the full subject.
	Name string `json:"name"`
	// Subject is the full subject in RFC 2253 form.
	Subject string `json:"subject"`
	// NotAfter is the end of validity.
	NotAfter time.Time `json:"not_after"`
	// SHA256 is the fingerprint of the DER bytes, lower-case hex.
	SHA256 string `json:"sha256"`
	// Constrained marks a fallback root that Go trusts only with extra
	// constraints (a distrust-after date) a PEM file cannot carry.
	Constrained bool `json:"constrained,omitempty"`
	// PEM is the certificate as written to the bundle.
	PEM []byte `json:"-"`
}

// maxBundle bounds a CA bundle read from an image.
const maxBundle = 16 << 20

// ParseCertificates parses a PEM bundle. Blocks that are not certificates
// or do not parse are skipped with the reason; text between blocks (the
// comments some bundles carry) is ignored. Certificates are returned in
// bundle order, duplicates (same fingerprint) dropped.
func ParseCertificates(file string, data []byte) ([]Certificate, []Skipped) {
	var out []Certificate
	var skipped []Skipped
	seen := map[string]bool{}
	n := 0
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		n++
		if block.Type != "CERTIFICATE" {
			skipped = append(skipped, Skipped{Path: file, Entry: fmt.Sprintf("PEM block %d", n), Reason: fmt.Sprintf("type %q is not CERTIFICATE", block.Type)})
			continue
		}
		c, err := newCertificate(block.Bytes)
		if err != nil {
			skipped = append(skipped, Skipped{Path: file, Entry: fmt.Sprintf("PEM block %d", n), Reason: err.Error()})
			continue
		}
		if seen[c.SHA256] {
			continue
		}
		seen[c.SHA256] = true
		out = append(out, c)
	}
	nameCertificates(out)
	return out, skipped
}

func newCertificate(der []byte) (Certificate, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return Certificate{}, fmt.Errorf("parsing certificate: %w", err)
	}
	sum := sha256.Sum256(der)
	return Certificate{
		Subject:  cert.Subject.String(),
		Name:     cert.Subject.CommonName,
		NotAfter: cert.NotAfter.UTC(),
		SHA256:   hex.EncodeToString(sum[:]),
		PEM:      pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
	}, nil
}

// nameCertificates gives each certificate its Name: the common name when
// it is unique in the bundle, else the subject, else the fingerprint.
func nameCertificates(certs []Certificate) {
	count := map[string]int{}
	for _, c := range certs {
		count[c.Name]++
	}
	subj := map[string]int{}
	for _, c := range certs {
		subj[c.Subject]++
	}
	for i := range certs {
		c := &certs[i]
		switch {
		case c.Name != "" && count[c.Name] == 1:
		case c.Subject != "" && subj[c.Subject] == 1:
			c.Name = c.Subject
		default:
			c.Name = c.SHA256
		}
	}
}

// fallbackCertificates are the Mozilla roots shipped by
// golang.org/x/crypto/x509roots/fallback.
func fallbackCertificates() ([]Certificate, []Skipped) {
	var out []Certificate
	var skipped []Skipped
	for r := range bundle.Roots() {
		c, err := newCertificate(r.Certificate)
		if err != nil {
			skipped = append(skipped, Skipped{Path: SourceFallback, Reason: err.Error()})
			continue
		}
		c.Constrained = r.Constraint != nil
		out = append(out, c)
	}
	nameCertificates(out)
	return out, skipped
}

// normFingerprint lower-cases a fingerprint and drops the colons and
// spaces people paste with it.
func normFingerprint(s string) string {
	s = strings.ToLower(s)
	s = strings.NewReplacer(":", "", " ", "", "sha256/", "", "sha256:", "").Replace(s)
	return s
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
