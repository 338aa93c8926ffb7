package demo

import (
	"archive/zip"
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"sort"
	"strings"
)

// zonesZip holds the TZif files of the demo's time zones, copied from the
// Go distribution's zoneinfo.zip by gen_zones.go.
//
//go:generate go run gen_zones.go
//go:embed zones.zip
var zonesZip []byte

// zoneLinks are the zones the tzdata store path holds as symbolic links
// (tzdata's backward names), with their targets.
var zoneLinks = map[string]string{
	"Etc/Universal": "UTC",
	"Europe/Kiev":   "Kyiv",
	"Japan":         "Asia/Tokyo",
	"US/Eastern":    "../America/New_York",
	"US/Pacific":    "../America/Los_Angeles",
}

// zoneTab is zone.tab: country, coordinates, zone and comment.
var zoneTab = [][4]string{
	{"AE", "+2518+05518", "Asia/Dubai", ""},
	{"AU", "-3352+15113", "Australia/Sydney", "New South Wales (most areas)"},
	{"BR", "-2332-04637", "America/Sao_Paulo", "Brazil (southeast: GO, DF, MG, ES, RJ, SP, PR, SC, RS)"},
	{"CA", "+4339-07923", "America/Toronto", "Eastern - ON & QC (most areas)"},
	{"CN", "+3114+12128", "Asia/Shanghai", "Beijing Time"},
	{"DE", "+5230+01322", "Europe/Berlin", "most of Germany"},
	{"EG", "+3003+03115", "Africa/Cairo", ""},
	{"ES", "+4024-00341", "Europe/Madrid", "Spain (mainland)"},
	{"FI", "+6010+02458", "Europe/Helsinki", ""},
	{"FR", "+4852+00220", "Europe/Paris", ""},
	{"GB", "+513030-0000731", "Europe/London", ""},
	{"HK", "+2217+11409", "Asia/Hong_Kong", ""},
	{"IN", "+2232+08822", "Asia/Kolkata", ""},
	{"IT", "+4154+01229", "Europe/Rome", ""},
	{"JP", "+353916+1394441", "Asia/Tokyo", ""},
	{"KE", "-0117+03649", "Africa/Nairobi", ""},
	{"KR", "+3733+12658", "Asia/Seoul", ""},
	{"LV", "+5657+02406", "Europe/Riga", ""},
	{"MX", "+1924-09909", "America/Mexico_City", "Central Mexico"},
	{"NG", "+0627+00324", "Africa/Lagos", ""},
	{"NL", "+5222+00454", "Europe/Amsterdam", ""},
	{"NZ", "-3652+17446", "Pacific/Auckland", "most of New Zealand"},
	{"PL", "+5215+02100", "Europe/Warsaw", ""},
	{"RU", "+554521+0373704", "Europe/Moscow", "MSK+00 - Moscow area"},
	{"SE", "+5920+01803", "Europe/Stockholm", ""},
	{"SG", "+0117+10351", "Asia/Singapore", ""},
	{"UA", "+5026+03031", "Europe/Kyiv", "most of Ukraine"},
	{"US", "+404251-0740023", "America/New_York", "Eastern (most areas)"},
	{"US", "+415100-0873900", "America/Chicago", "Central (most areas)"},
	{"US", "+394421-1045903", "America/Denver", "Mountain (most areas)"},
	{"US", "+340308-1181434", "America/Los_Angeles", "Pacific"},
	{"ZA", "-2615+02800", "Africa/Johannesburg", ""},
}

// countries are iso3166.tab's names of zoneTab's countries.
var countries = map[string]string{
	"AE": "United Arab Emirates", "AU": "Australia", "BR": "Brazil", "CA": "Canada", "CN": "China",
	"DE": "Germany", "EG": "Egypt", "ES": "Spain", "FI": "Finland", "FR": "France", "GB": "Britain (UK)",
	"HK": "Hong Kong", "IN": "India", "IT": "Italy", "JP": "Japan", "KE": "Kenya", "KR": "Korea (South)",
	"LV": "Latvia", "MX": "Mexico", "NG": "Nigeria", "NL": "Netherlands", "NZ": "New Zealand",
	"PL": "Poland", "RU": "Russia", "SE": "Sweden", "SG": "Singapore", "UA": "Ukraine",
	"US": "United States", "ZA": "South Africa",
}

// tzdata writes the tzdata store path: share/zoneinfo with the TZif
// files, the backward links, the tables, and posix and right as links to
// the directory itself, as nixpkgs builds it (so that a copy which
// follows links recurses).
func tzdata(t *tree, s store) error {
	st := t.in(s.path("tzdata"))
	zr, err := zip.NewReader(bytes.NewReader(zonesZip), int64(len(zonesZip)))
	if err != nil {
		return fmt.Errorf("reading the embedded zones.zip: %w", err)
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("reading %s from the embedded zones.zip: %w", f.Name, err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("reading %s from the embedded zones.zip: %w", f.Name, err)
		}
		st.file("share/zoneinfo/"+f.Name, data)
	}
	for name, target := range zoneLinks {
		st.link("share/zoneinfo/"+name, target)
	}
	st.link("share/zoneinfo/posix", ".")
	st.link("share/zoneinfo/right", ".")
	st.file("share/zoneinfo/zone.tab", zoneTabFile())
	st.file("share/zoneinfo/iso3166.tab", iso3166File())
	st.file("share/zoneinfo/tzdata.zi", tzdataZi(zr))
	st.file("share/zoneinfo/leapseconds", leapseconds())
	return nil
}

// zoneNames lists the zones of the tzdata store path (files and links),
// sorted.
func zoneNames() ([]string, error) {
	zr, err := zip.NewReader(bytes.NewReader(zonesZip), int64(len(zonesZip)))
	if err != nil {
		return nil, fmt.Errorf("reading the embedded zones.zip: %w", err)
	}
	var out []string
	for _, f := range zr.File {
		out = append(out, f.Name)
	}
	for name := range zoneLinks {
		out = append(out, name)
	}
	sort.Strings(out)
	return out, nil
}

func zoneTabFile() []byte {
	var b strings.Builder
	b.WriteString("# tzdb timezone descriptions (deprecated version)\n#\n# This file is in the public domain, so clarified as of\n# 2009-05-17 by Arthur David Olson.\n#\n")
	b.WriteString("# Columns (tab-separated) are:\n# 1.  ISO 3166 2-character country code.\n# 2.  Latitude and longitude of the timezone's principal location.\n")
	b.WriteString("# 3.  Timezone name used in value of TZ environment variable.\n# 4.  Comments; present if and only if a country has multiple timezones.\n#\n")
	for _, z := range zoneTab {
		line := z[0] + "\t" + z[1] + "\t" + z[2]
		if z[3] != "" {
			line += "\t" + z[3]
		}
		b.WriteString(line + "\n")
	}
	return []byte(b.String())
}

func iso3166File() []byte {
	var b strings.Builder
	b.WriteString("# ISO 3166 alpha-2 country codes\n#\n# This file is in the public domain, so clarified as of\n# 2009-05-17 by Arthur David Olson.\n#\n")
	codes := make([]string, 0, len(countries))
	for c := range countries {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		b.WriteString(c + "\t" + countries[c] + "\n")
	}
	return []byte(b.String())
}

// tzdataZi is a short tzdata.zi: the version line, a zone line per zone
// and the links.
func tzdataZi(zr *zip.Reader) []byte {
	var b strings.Builder
	b.WriteString("# version 2025c\n# This zic input file is in the public domain.\n")
	for _, f := range zr.File {
		fmt.Fprintf(&b, "Z %s 0 - LMT 1900\n0 - UTC\n", f.Name)
	}
	names := make([]string, 0, len(zoneLinks))
	for n := range zoneLinks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "L %s %s\n", zoneLinks[n], n)
	}
	return []byte(b.String())
}

func leapseconds() []byte {
	return []byte("# Allowance for leap seconds added to each time zone file.\n\n" +
		"Leap\t2016\tDec\t31\t23:59:60\t+\tS\n\n# Updated through IERS Bulletin C (https://hpiers.obspm.fr/iers/bul/bulc/bulletinc.dat)\n" +
		"#Expires 2026\tJun\t28\t00:00:00\n")
}
