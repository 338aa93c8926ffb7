package etcgen

// Provides returns the image paths the output of this selection writes
// instead of the image's own, by kind chosen: a file, or a directory with
// everything below it. A closure leaves out what the image's files name
// there (closure.Options.EtcProvides): a Go program naming
// /usr/share/zoneinfo/ needs the zones the plan chose, not every zone of
// the image.
func (s Selection) Provides() []string {
	var out []string
	if !s.Timezones.IsZero() {
		out = append(out, ZoneinfoDir, "/usr/lib/zoneinfo", "/usr/share/lib/zoneinfo", "/etc/zoneinfo", "/etc/localtime", "/etc/timezone")
	}
	if !s.Certificates.IsZero() {
		out = append(out, "/etc/ssl/certs", "/etc/ssl/cert.pem", "/etc/ssl/ca-bundle.pem", "/etc/pki",
			"/usr/share/ca-certificates", "/usr/local/share/ca-certificates")
	}
	if !s.Locales.IsZero() {
		out = append(out, LocaleDir, "/usr/lib64/locale")
	}
	if !s.Services.IsZero() {
		out = append(out, "/etc/services")
	}
	if !s.Protocols.IsZero() {
		out = append(out, "/etc/protocols")
	}
	if len(s.Users) > 0 {
		out = append(out, "/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow")
	}
	return out
}
