package etcgen

import "testing"

// TestSelectionIsZero: the zero selection is zero, and setting any one
// field alone (a basic turned off included) makes it not.
func TestSelectionIsZero(t *testing.T) {
	off, uid := false, 0
	if !(Selection{}).IsZero() {
		t.Error("the zero selection is not zero")
	}
	for name, s := range map[string]Selection{
		"services":      {Services: Names("http")},
		"protocols":     {Protocols: ChooseAll},
		"certificates":  {Certificates: ChooseAll},
		"locales":       {Locales: Names("C.UTF-8")},
		"locale_format": {LocaleFormat: LocaleDirectories},
		"timezones":     {Timezones: Names("UTC")},
		"users":         {Users: []User{{Name: "app", UID: &uid}}},
		"basics":        {Basics: Basics{Tmp: &off}},
	} {
		if s.IsZero() {
			t.Errorf("%s alone: IsZero", name)
		}
	}
}
