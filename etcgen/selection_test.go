package etcgen

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestParseSelection(t *testing.T) {
	f := false
	for _, tc := range []struct {
		name string
		yaml string
		want Selection
		err  string
	}{
		{"design sketch", `
services: [http, https]
protocols: [tcp, udp]
certificates: all
locales: [C.UTF-8, en_US.UTF-8]
timezones: [UTC, Europe/Riga]
users: [root, nobody, {name: app, uid: 1000}]
`, Selection{
			Services: Names("http", "https"), Protocols: Names("tcp", "udp"), Certificates: ChooseAll,
			Locales: Names("C.UTF-8", "en_US.UTF-8"), Timezones: Names("UTC", "Europe/Riga"),
			Users: []User{{Name: "root"}, {Name: "nobody"}, {Name: "app", UID: ptr(1000)}},
		}, ""},
		{"none and a single name", "certificates: none\nservices: https\nlocale_format: directories\nbasics: {tmp: false}\n",
			Selection{Services: Names("https"), LocaleFormat: LocaleDirectories, Basics: Basics{Tmp: &f}}, ""},
		{"comma list in one scalar", "services: http,https\n", Selection{Services: Names("http", "https")}, ""},
		{"full user", "users: [{name: svc, uid: 10, gid: 20, home: /srv, shell: /bin/sh}]\n",
			Selection{Users: []User{{Name: "svc", UID: ptr(10), GID: ptr(20), Home: "/srv", Shell: "/bin/sh"}}}, ""},
		{"basics as a list", "basics: [nsswitch, os-release]\n", Selection{Basics: Basics{Nsswitch: ptr(true), Hosts: &f, OSRelease: ptr(true), Tmp: &f}}, ""},
		{"empty section", "", Selection{}, ""},
		{"unknown key", "timezone: [UTC]\n", Selection{}, `reading the etc section: line 1: etc.timezone: unknown key (did you mean "timezones"?)`},
		{"unknown key far off", "xyzzy: 1\n", Selection{}, `reading the etc section: line 1: etc.xyzzy: unknown key (known keys: basics, certificates, locale_format, locales, protocols, services, timezones, users)`},
		{"unknown user key", "users: [{name: a, uuid: 1}]\n", Selection{}, `reading the etc section: line 1: etc.users.uuid: unknown key (did you mean "uid" or "gid"?)`},
		{"unknown basics key", "basics: {os-release: true}\n", Selection{}, `reading the etc section: line 1: etc.basics.os-release: unknown key (did you mean "os_release"?)`},
		{"bad locale format", "locale_format: zip\n", Selection{}, `reading the etc section: line 1: unknown locale format "zip": want archive or directories`},
		{"map where a list goes", "services: {http: 1}\n", Selection{}, `reading the etc section: line 1: want all, none or a list of names, got a map`},
		{"user without name", "users: [{uid: 5}]\n", Selection{}, `reading the etc section: line 1: etc.users: an entry has no name`},
		{"duplicate key", "services: [a]\nservices: [b]\n", Selection{}, `reading the etc section: line 2: etc.services: key given twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSelection([]byte(tc.yaml))
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v\nwant %#v", got, tc.want)
			}
			// Round trip through YAML.
			b, err := MarshalSelection(got)
			if err != nil {
				t.Fatal(err)
			}
			again, err := ParseSelection(b)
			if err != nil {
				t.Fatalf("re-reading %s: %v", b, err)
			}
			if !reflect.DeepEqual(again, got) {
				t.Fatalf("round trip:\n%s\ngave %#v", b, again)
			}
		})
	}
}

func TestMarshalSelection(t *testing.T) {
	sel := Selection{
		Services: Names("http", "https"), Certificates: ChooseAll, Locales: Names("en_US.UTF-8"), LocaleFormat: LocaleArchive,
		Timezones: Names("Europe/Riga"), Users: []User{{Name: "root"}, {Name: "app", UID: ptr(1000)}}, Basics: Basics{Tmp: ptr(false)},
	}
	b, err := MarshalSelection(sel)
	if err != nil {
		t.Fatal(err)
	}
	want := `services: [http, https]
certificates: all
locales: [en_US.UTF-8]
locale_format: archive
timezones: [Europe/Riga]
users:
    - root
    - {name: app, uid: 1000}
basics:
    tmp: false
`
	if string(b) != want {
		t.Errorf("MarshalSelection =\n%s\nwant\n%s", b, want)
	}
	j, err := json.Marshal(sel)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON := `{"services":["http","https"],"certificates":"all","locales":["en_US.UTF-8"],"locale_format":"archive","timezones":["Europe/Riga"],"users":[{"name":"root"},{"name":"app","uid":1000}],"basics":{"tmp":false}}`
	if string(j) != wantJSON {
		t.Errorf("JSON =\n%s\nwant\n%s", j, wantJSON)
	}
}

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		f    Flags
		want Selection
		err  string
	}{
		{Flags{Services: "http, https", Protocols: "tcp,udp", Certificates: "all", Locales: "en_US.UTF-8", Timezones: "Europe/Riga", Users: "nonroot"},
			Selection{Services: Names("http", "https"), Protocols: Names("tcp", "udp"), Certificates: ChooseAll, Locales: Names("en_US.UTF-8"),
				Timezones: Names("Europe/Riga"), Users: []User{{Name: "nonroot"}}}, ""},
		{Flags{Certificates: "none", Users: "root,app:1000::/srv/app,svc:5:6:/home/svc:/bin/sh", LocaleFormat: "directories", Basics: "tmp,hosts"},
			Selection{LocaleFormat: LocaleDirectories, Users: []User{{Name: "root"}, {Name: "app", UID: ptr(1000), Home: "/srv/app"}, {Name: "svc", UID: ptr(5), GID: ptr(6), Home: "/home/svc", Shell: "/bin/sh"}},
				Basics: Basics{Nsswitch: ptr(false), Hosts: ptr(true), OSRelease: ptr(false), Tmp: ptr(true)}}, ""},
		{Flags{Users: "app:x"}, Selection{}, `--users: user "app:x": bad uid "x"`},
		{Flags{Users: "a:1:2:/h:/s:extra"}, Selection{}, `--users: user "a:1:2:/h:/s:extra": want NAME[:UID[:GID[:HOME[:SHELL]]]]`},
		{Flags{LocaleFormat: "archiv"}, Selection{}, `--locale-format: unknown locale format "archiv": want archive or directories (did you mean "archive"?)`},
		{Flags{Basics: "host"}, Selection{}, `--basics: unknown basic "host" (did you mean "hosts"?)`},
	} {
		got, err := tc.f.Selection()
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%+v: error = %v, want %q", tc.f, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%+v: %v", tc.f, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%+v:\n got %#v\nwant %#v", tc.f, got, tc.want)
		}
	}
}

func TestUserString(t *testing.T) {
	for _, tc := range []struct {
		u    User
		want string
	}{
		{User{Name: "root"}, "root"},
		{User{Name: "app", UID: ptr(1000)}, "app:1000"},
		{User{Name: "app", Home: "/srv"}, "app:::/srv"},
		{User{Name: "a", UID: ptr(1), GID: ptr(2), Home: "/h", Shell: "/s"}, "a:1:2:/h:/s"},
	} {
		if got := tc.u.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
		back, err := ParseUsers(tc.want)
		if err != nil || len(back) != 1 || !reflect.DeepEqual(back[0], tc.u) {
			t.Errorf("ParseUsers(%q) = %#v, %v", tc.want, back, err)
		}
	}
	if c := ParseChoice(" all "); !c.All || c.String() != "all" {
		t.Errorf("ParseChoice(all) = %#v", c)
	}
	if c := ParseChoice("none"); !c.IsZero() || c.String() != "none" {
		t.Errorf("ParseChoice(none) = %#v", c)
	}
}
