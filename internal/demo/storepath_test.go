package demo

import (
	"encoding/hex"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

func TestPrintHash32(t *testing.T) {
	for _, tc := range []struct{ typ, hex, want string }{
		// nix-hash --type sha256 --to-base32 of the empty string's SHA-256.
		{"sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"},
		// The same for SHA-1: 160 bits, a store path hash's length.
		{"sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "143xibwh31h9bvxzalr0sjvbbvpa6ffs"},
	} {
		b, err := hex.DecodeString(tc.hex)
		if err != nil {
			t.Fatal(err)
		}
		if got := printHash32(b); got != tc.want {
			t.Errorf("printHash32(%s) = %s, want %s", tc.hex, got, tc.want)
		}
		if nixHash, err := exec.LookPath("nix-hash"); err == nil {
			out, err := exec.Command(nixHash, "--type", tc.typ, "--to-base32", tc.hex).Output()
			if err != nil || strings.TrimSpace(string(out)) != tc.want {
				t.Errorf("nix-hash says %q (%v), want %s", out, err, tc.want)
			}
		}
	}
}

func TestStorePaths(t *testing.T) {
	c := demoContents(t)
	re := regexp.MustCompile(`^/nix/store/[0123456789abcdfghijklmnpqrsvwxyz]{32}-[a-zA-Z0-9+._?=-]+$`)
	hashes := map[string]string{}
	for short, p := range c.StorePaths {
		if !re.MatchString(p) {
			t.Errorf("%s: %s is not a store path", short, p)
		}
		h := p[len("/nix/store/") : len("/nix/store/")+32]
		if other, dup := hashes[h]; dup {
			t.Errorf("%s and %s share the hash %s", short, other, h)
		}
		hashes[h] = short
	}
	for short, want := range map[string]string{
		"app":     "hello-web-1.4.2",
		"python3": "python3-3.12.4",
		"etc":     "etc",
		"cacert":  "nss-cacert-3.101",
		"pip":     "python3.12-pip-24.0",
	} {
		if got := c.StorePaths[short][len("/nix/store/")+33:]; got != want {
			t.Errorf("%s is named %s, want %s", short, got, want)
		}
	}
}
