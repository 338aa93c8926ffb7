package names

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func show(ns []Name) []string {
	var out []string
	for _, n := range ns {
		s := fmt.Sprintf("%d %s", n.Line, n.Text)
		if n.Packed {
			s += " packed"
		}
		if n.Exact {
			s += " exact"
		}
		out = append(out, s)
	}
	return out
}

// TestText: runs of a text file with their lines; comment lines, relative
// names, URLs and the root alone give nothing; lists split at ':', '=',
// quotes and ';'; a name is kept once, at its first line.
func TestText(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"nginx", "user www-data;\n# include /etc/nginx/naxsi.rules;\n\tinclude /etc/nginx/mime.types;\n  include /etc/nginx/conf.d/*.conf;\n",
			[]string{"3 /etc/nginx/mime.types", "4 /etc/nginx/conf.d/*.conf"}},
		{"colon list", "'TZPATH': '/usr/share/zoneinfo:/usr/lib/zoneinfo:/etc/zoneinfo',\n",
			[]string{"1 /usr/share/zoneinfo", "1 /usr/lib/zoneinfo", "1 /etc/zoneinfo"}},
		{"assignment", "PATH=/usr/local/bin:/usr/bin\nexport CONF=\"/etc/app/app.conf\"\n",
			[]string{"1 /usr/local/bin", "1 /usr/bin", "2 /etc/app/app.conf"}},
		{"shell", "#!/bin/sh\nenvsubst < /etc/app/app.conf.template > /tmp/app.conf\n",
			[]string{"2 /etc/app/app.conf.template", "2 /tmp/app.conf"}},
		{"json", `{"data": ["/srv/data", "/srv/data"], "url": "https://example.com/etc/passwd"}`,
			[]string{"1 /srv/data"}},
		{"relative and root", "lib/x.so ./a/b / x/ /\n// /etc/commented\n; /etc/ini-comment\n",
			nil},
		{"variable ends a run", "exec /usr/lib/jvm/$JAVA/bin/java\n", []string{"1 /usr/lib/jvm/"}},
		{"nginx load_module", "load_module modules/ngx_http_echo_module.so;\n# load_module modules/off.so;\nload_module /usr/lib/nginx/modules/abs.so;\n",
			[]string{"3 /usr/lib/nginx/modules/abs.so", "1 /usr/share/nginx/modules/ngx_http_echo_module.so exact",
				"1 /etc/nginx/modules/ngx_http_echo_module.so exact", "1 /usr/local/nginx/modules/ngx_http_echo_module.so exact"}},
		{"properties", "java.home=/usr/lib/jvm/java-17\nlog.dir = /var/log/app/\n",
			[]string{"1 /usr/lib/jvm/java-17", "2 /var/log/app/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := show(Text([]byte(tt.text))); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestBinary: C strings, Go's packed strings (a run that starts within
// another string is Packed and kept only from a top-level directory),
// machine-code noise.
func TestBinary(t *testing.T) {
	data := []byte("\x7fELF\x02\x01\x00/H\x8b/wBD\x00" +
		"/etc/nginx/nginx.conf\x00--conf-path=/etc/nginx/nginx.conf --prefix=/usr/share/nginx\x00" +
		"x509: invalid/etc/ssl/certs/ca-certificates.crt/etc/pki/tls/certs/ca-bundle.crtunexpected EOF\x00" +
		"crypto/x509net/http\x00GOROOT=/usr/local/go\x00/app\x00")
	want := []string{
		"0 /etc/nginx/nginx.conf",
		"0 /usr/share/nginx",
		"0 /etc/ssl/certs/ca-certificates.crt/etc/pki/tls/certs/ca-bundle.crtunexpected packed",
		"0 /usr/local/go",
	}
	if got := show(Binary(data)); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// TestLimits: a file cannot give more than MaxNames runs, and a binary's
// runs sharing two components stop at maxPerPrefix.
func TestLimits(t *testing.T) {
	var text, bin strings.Builder
	for i := 0; i < 2*MaxNames; i++ {
		fmt.Fprintf(&text, "/d%d/f\n", i)
		fmt.Fprintf(&bin, "/usr/local/go/src/f%d.go\x00", i)
	}
	if n := len(Text([]byte(text.String()))); n != MaxNames {
		t.Errorf("text: %d names, want %d", n, MaxNames)
	}
	if n := len(Binary([]byte(bin.String()))); n != maxPerPrefix {
		t.Errorf("binary: %d names, want %d", n, maxPerPrefix)
	}
	long := "/" + strings.Repeat("a", 3*MaxRun) + "\n"
	if ns := Text([]byte(long)); len(ns) != 1 || len(ns[0].Text) != MaxRun {
		t.Errorf("long run: %d names", len(ns))
	}
}

func TestIsText(t *testing.T) {
	if !IsText([]byte("a\nb")) || IsText([]byte("a\x00b")) {
		t.Error("IsText")
	}
}
