package etcgen

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseServices(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []Service
		skipped []string
	}{
		{"http\t80/tcp\twww www-http\t# WWW\n", []Service{{Name: "http", Port: 80, Proto: "tcp", Aliases: []string{"www", "www-http"}, Comment: "WWW", Line: "http\t80/tcp\twww www-http\t# WWW"}}, nil},
		{"dns 53/udp#no space\r\n", []Service{{Name: "dns", Port: 53, Proto: "udp", Comment: "no space", Line: "dns 53/udp#no space"}}, nil},
		{"# only a comment\n\n   \n", nil, nil},
		{"a 65535/tcp\nb 65536/tcp\nc -1/tcp\nd +5/tcp\ne 5\nf 5/\ng x/tcp\n",
			[]Service{{Name: "a", Port: 65535, Proto: "tcp", Line: "a 65535/tcp"}},
			[]string{`line 2: "b": bad port "65536"`, `line 3: "c": bad port "-1"`, `line 4: "d": bad port "+5"`, `line 5: "e": want port/protocol, got "5"`, `line 6: "f": want port/protocol, got "5/"`, `line 7: "g": bad port "x"`}},
		{"lonely\n", nil, []string{`line 1: "lonely" has no port/protocol`}},
		{strings.Repeat("x", 5000) + " 1/tcp\n", nil, []string{"line 1: line too long"}},
	} {
		got, skipped := ParseServices("/etc/services", []byte(tc.in))
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseServices(%.40q) =\n%#v\nwant\n%#v", tc.in, got, tc.want)
		}
		var sk []string
		for _, s := range skipped {
			sk = append(sk, s.Entry+": "+s.Reason)
		}
		if !reflect.DeepEqual(sk, tc.skipped) {
			t.Errorf("ParseServices(%.40q) skipped %q, want %q", tc.in, sk, tc.skipped)
		}
	}
}

func TestParseProtocols(t *testing.T) {
	got, skipped := ParseProtocols("/etc/protocols", []byte("tcp\t6\tTCP\t\t# transmission control protocol\nmptcp 262 MPTCP\nbad 70000\nx\n"))
	want := []Protocol{
		{Name: "tcp", Number: 6, Aliases: []string{"TCP"}, Comment: "transmission control protocol", Line: "tcp\t6\tTCP\t\t# transmission control protocol"},
		{Name: "mptcp", Number: 262, Aliases: []string{"MPTCP"}, Line: "mptcp 262 MPTCP"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseProtocols = %#v", got)
	}
	if len(skipped) != 2 || skipped[0].Reason != `"bad": bad protocol number "70000"` || skipped[1].Reason != `"x" has no protocol number` {
		t.Errorf("skipped = %+v", skipped)
	}
}

// FuzzParseServices checks that any input parses without panicking and
// that every entry kept is one glibc would read back the same way.
func FuzzParseServices(f *testing.F) {
	f.Add([]byte(testServices))
	f.Add([]byte(fallbackServices))
	f.Add([]byte("a 1/tcp b c # d\n\x00 2/udp\n#\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		svcs, _ := ParseServices("f", data)
		for _, s := range svcs {
			if !validName(s.Name) || !validName(s.Proto) || s.Port < 0 || s.Port > 65535 || strings.Contains(s.Line, "\n") {
				t.Fatalf("bad entry %#v", s)
			}
			again, _ := ParseServices("f", []byte(s.Line))
			if len(again) != 1 || again[0].Name != s.Name || again[0].Port != s.Port || again[0].Proto != s.Proto {
				t.Fatalf("line %q does not parse back: %#v", s.Line, again)
			}
		}
	})
}

// FuzzParseProtocols is FuzzParseServices for /etc/protocols.
func FuzzParseProtocols(f *testing.F) {
	f.Add([]byte(testProtocols))
	f.Add([]byte(fallbackProtocols))
	f.Fuzz(func(t *testing.T, data []byte) {
		protos, _ := ParseProtocols("f", data)
		for _, p := range protos {
			if !validName(p.Name) || p.Number < 0 || p.Number > 65535 || strings.Contains(p.Line, "\n") {
				t.Fatalf("bad entry %#v", p)
			}
			again, _ := ParseProtocols("f", []byte(p.Line))
			if len(again) != 1 || again[0].Name != p.Name || again[0].Number != p.Number {
				t.Fatalf("line %q does not parse back: %#v", p.Line, again)
			}
		}
	})
}

// FuzzParseCertificates feeds arbitrary bundles to the PEM reader.
func FuzzParseCertificates(f *testing.F) {
	f.Add(mustRead("testdata/test-roots.pem"))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		certs, _ := ParseCertificates("f", data)
		seen := map[string]bool{}
		for _, c := range certs {
			if len(c.SHA256) != 64 || seen[c.Name] || c.Name == "" {
				t.Fatalf("bad or duplicate certificate %q %q", c.Name, c.SHA256)
			}
			seen[c.Name] = true
		}
	})
}
