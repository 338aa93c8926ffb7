package plan

import (
	"math/rand"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/etcgen"
	"github.com/whittle-dev/whittle/finding"
)

// words are the strings the random edits draw from: plain, hostile
// (glob characters, YAML's special characters, escapes, blanks) and
// invalid for one rule or another.
var words = []string{
	"/app/**", "/usr/share/doc/**", "/a[1].txt", `/a\[1].txt`, "/x*y", "/**/site-packages/pip/**", "**/pip/**", "usr/**",
	"/a/b**", "/a/[", "/sp ace/\x1b[31m\n", "/- dash: colon #hash", "/'quote\"", "", " ", "all", "ALL", "none", "a,b",
	"C.UTF-8", "Europe/Riga", "root", "app", "http", "tcp", "bloat/docs", "bloat", "Bloat/x", "python3", "-c", "import ssl",
	"tmp", "hosts,tmp", "nsswitch", "x=y", "LANG", "A B", "0", "8080/tcp", "99999", "oci:min", "docker-archive:a b.tar",
}

func word(r *rand.Rand) string { return words[r.Intn(len(words))] }

// TestEditsKeepThePlanLoadable applies random sequences of the edit
// functions (fixed seeds): an edit either refuses what breaks a rule and
// leaves the plan as it was, or changes it into a plan that is valid
// and loads back the same from its saved file.
func TestEditsKeepThePlanLoadable(t *testing.T) {
	for seed := range 500 {
		r := rand.New(rand.NewSource(int64(seed)))
		p := &Plan{Source: "demo:"}
		var did []string
		for range 40 {
			before := p.Clone()
			var op string
			var err error
			switch r.Intn(9) {
			case 0:
				g := word(r)
				op = "AddDrop " + strconv.Quote(g)
				_, err = p.AddDrop(g)
			case 1:
				g := word(r)
				op = "AddKeep " + strconv.Quote(g)
				_, err = p.AddKeep(g)
			case 2:
				if len(p.Drop) > 0 {
					g := p.Drop[r.Intn(len(p.Drop))]
					op = "RemoveDrop " + strconv.Quote(g)
					p.RemoveDrop(g)
				}
			case 3:
				w := word(r)
				op = "ToggleRoot " + strconv.Quote(w)
				_, err = p.ToggleRoot(w)
			case 4:
				k, w := etcgen.Kinds[r.Intn(len(etcgen.Kinds))], word(r)
				op = "ToggleEtc " + string(k) + " " + strconv.Quote(w)
				_, err = p.ToggleEtc(k, w, []string{"a", "b", w})
			case 5:
				c := &finding.Change{}
				switch r.Intn(3) {
				case 0:
					c.Drop = []string{word(r), word(r)}
				case 1:
					keys := []string{"basics", "users", "locales", "timezones", "certificates", "services", "protocols", "locale_format", "nope"}
					c.Etc = map[string]string{keys[r.Intn(len(keys))]: word(r)}
				case 2:
					keys := []string{"env." + word(r), "user", "working_dir", "entrypoint"}
					c.Config = map[string]string{keys[r.Intn(len(keys))]: word(r)}
				}
				op = "ApplyChange " + strconv.Quote(strings.Join(c.Drop, ",")) + " " + strconv.Quote(mapString(c.Etc)+mapString(c.Config))
				_, err = p.ApplyChange(c)
			case 6:
				outs := strings.Fields(word(r))
				op = "SetOutputs " + strconv.Quote(strings.Join(outs, " "))
				p.SetOutputs(outs)
			case 7:
				argv := []string{word(r), word(r)}[:r.Intn(3)%2+r.Intn(2)]
				op = "SetVerify " + strconv.Quote(strings.Join(argv, "|"))
				err = p.SetVerify(argv)
			case 8:
				f := Flags{Keep: []string{word(r)}, Env: []string{word(r) + "=" + word(r)}, Mode: []string{"", "trim", "trimm"}[r.Intn(3)],
					Etc: etcgen.Selection{Locales: etcgen.ParseChoice(word(r))}}
				op = "AddTo " + strconv.Quote(f.Keep[0]) + " " + strconv.Quote(f.Env[0]) + " " + f.Mode
				err = f.AddTo(p)
			}
			did = append(did, op)
			if err != nil && !reflect.DeepEqual(p, before) {
				t.Fatalf("seed %d: %s refused (%v) but changed the plan", seed, strings.Join(did, " · "), err)
			}
			if verr := p.Validate(); verr != nil {
				t.Fatalf("seed %d: %s left an invalid plan: %v", seed, strings.Join(did, " · "), verr)
			}
			b, serr := Save(p)
			if serr != nil {
				t.Fatalf("seed %d: %s: %v", seed, strings.Join(did, " · "), serr)
			}
			q, perr := Parse(b)
			if perr != nil || !reflect.DeepEqual(p, q) {
				t.Fatalf("seed %d: %s: loaded back %v\n got  %#v\n want %#v\n%s", seed, strings.Join(did, " · "), perr, q, p, b)
			}
		}
	}
}

func mapString(m map[string]string) string {
	var s []string
	for k, v := range m {
		s = append(s, k+"="+v)
	}
	return strings.Join(s, ",")
}

// TestEtcLocaleNames: a locale chosen under one spelling of its codeset
// (a finding's fix writes LANG's C.UTF-8) is the catalog's entry of
// another (C.utf8): it shows chosen, and toggling it unchooses it
// instead of adding it twice.
func TestEtcLocaleNames(t *testing.T) {
	for _, tc := range []struct {
		plan, catalog string
		same          bool
	}{
		{"C.UTF-8", "C.utf8", true},
		{"en_US.utf8", "en_US.UTF-8", true},
		{"en_US.UTF-8", "en_US", false},
		{"de_DE.UTF-8", "en_US.utf8", false},
	} {
		p := &Plan{}
		p.Etc.Locales.Names = []string{tc.plan}
		if got := p.EtcChosen(etcgen.KindLocales, tc.catalog); got != tc.same {
			t.Errorf("%s chosen: is %s chosen = %v, want %v", tc.plan, tc.catalog, got, tc.same)
		}
		chosen, err := p.ToggleEtc(etcgen.KindLocales, tc.catalog, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{tc.plan, tc.catalog}
		if tc.same {
			want = nil
		}
		if chosen == tc.same || !slices.Equal(p.Etc.Locales.Names, want) {
			t.Errorf("%s chosen, toggling %s: chosen %v, locales %q, want %q", tc.plan, tc.catalog, chosen, p.Etc.Locales.Names, want)
		}
	}
	// Time zones are names of files: their case is theirs.
	p := &Plan{}
	p.Etc.Timezones.Names = []string{"UTC"}
	if p.EtcChosen(etcgen.KindTimeZones, "utc") {
		t.Error("utc is chosen when UTC is")
	}
}
