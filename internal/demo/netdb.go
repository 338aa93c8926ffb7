package demo

import (
	"fmt"
	"strings"
)

// services are the /etc/services entries, as Debian's netbase lists
// them: name, port, protocols, aliases and comment.
var services = []struct {
	name    string
	port    int
	protos  string
	aliases string
	comment string
}{
	{"tcpmux", 1, "tcp", "", "TCP port service multiplexer"},
	{"echo", 7, "tcp udp", "", ""},
	{"discard", 9, "tcp udp", "sink null", ""},
	{"systat", 11, "tcp", "users", ""},
	{"daytime", 13, "tcp udp", "", ""},
	{"netstat", 15, "tcp", "", ""},
	{"qotd", 17, "tcp", "quote", ""},
	{"chargen", 19, "tcp udp", "ttytst source", ""},
	{"ftp-data", 20, "tcp", "", ""},
	{"ftp", 21, "tcp", "", ""},
	{"fsp", 21, "udp", "fspd", ""},
	{"ssh", 22, "tcp", "", "SSH Remote Login Protocol"},
	{"telnet", 23, "tcp", "", ""},
	{"smtp", 25, "tcp", "mail", ""},
	{"time", 37, "tcp udp", "timserver", ""},
	{"whois", 43, "tcp", "nicname", ""},
	{"tacacs", 49, "tcp udp", "", "Login Host Protocol (TACACS)"},
	{"domain", 53, "tcp udp", "", "Domain Name Server"},
	{"bootps", 67, "udp", "", ""},
	{"bootpc", 68, "udp", "", ""},
	{"tftp", 69, "udp", "", ""},
	{"gopher", 70, "tcp", "", "Internet Gopher"},
	{"finger", 79, "tcp", "", ""},
	{"http", 80, "tcp", "www", "WorldWideWeb HTTP"},
	{"kerberos", 88, "tcp udp", "kerberos5 krb5 kerberos-sec", "Kerberos v5"},
	{"iso-tsap", 102, "tcp", "tsap", "part of ISODE"},
	{"acr-nema", 104, "tcp", "dicom", "Digital Imag. & Comm. 300"},
	{"pop3", 110, "tcp", "pop-3", "POP version 3"},
	{"sunrpc", 111, "tcp udp", "portmapper", "RPC 4.0 portmapper"},
	{"auth", 113, "tcp", "authentication tap ident", ""},
	{"nntp", 119, "tcp", "readnews untp", "USENET News Transfer Protocol"},
	{"ntp", 123, "udp", "", "Network Time Protocol"},
	{"epmap", 135, "tcp", "loc-srv", "DCE endpoint resolution"},
	{"netbios-ns", 137, "udp", "", "NETBIOS Name Service"},
	{"netbios-dgm", 138, "udp", "", "NETBIOS Datagram Service"},
	{"netbios-ssn", 139, "tcp", "", "NETBIOS session service"},
	{"imap2", 143, "tcp", "imap", "Interim Mail Access P 2 and 4"},
	{"snmp", 161, "tcp udp", "", "Simple Net Mgmt Protocol"},
	{"snmp-trap", 162, "tcp udp", "snmptrap", "Traps for SNMP"},
	{"cmip-man", 163, "tcp udp", "", "ISO mgmt over IP (CMOT)"},
	{"cmip-agent", 164, "tcp udp", "", ""},
	{"mailq", 174, "tcp", "", "Mailer transport queue for Zmailer"},
	{"xdmcp", 177, "udp", "", "X Display Manager Control Protocol"},
	{"bgp", 179, "tcp", "", "Border Gateway Protocol"},
	{"smux", 199, "tcp", "", "SNMP Unix Multiplexer"},
	{"qmtp", 209, "tcp", "", "Quick Mail Transfer Protocol"},
	{"z3950", 210, "tcp", "wais", "NISO Z39.50 database"},
	{"ipx", 213, "udp", "", "IPX [RFC1234]"},
	{"ptp-event", 319, "udp", "", ""},
	{"ptp-general", 320, "udp", "", ""},
	{"pawserv", 345, "tcp", "", "Perf Analysis Workbench"},
	{"zserv", 346, "tcp", "", "Zebra server"},
	{"rpc2portmap", 369, "tcp udp", "", "Coda portmapper"},
	{"codaauth2", 370, "tcp udp", "", "Coda authentication server"},
	{"clearcase", 371, "udp", "Clearcase", ""},
	{"ldap", 389, "tcp udp", "", "Lightweight Directory Access Protocol"},
	{"svrloc", 427, "tcp udp", "", "Server Location"},
	{"https", 443, "tcp udp", "", "http protocol over TLS/SSL"},
	{"snpp", 444, "tcp", "", "Simple Network Paging Protocol"},
	{"microsoft-ds", 445, "tcp", "", "Microsoft Naked CIFS"},
	{"kpasswd", 464, "tcp udp", "", ""},
	{"submissions", 465, "tcp", "ssmtp smtps urd", "Submission over TLS [RFC8314]"},
	{"saft", 487, "tcp", "", "Simple Asynchronous File Transfer"},
	{"isakmp", 500, "udp", "", "IPSEC key management"},
	{"rtsp", 554, "tcp udp", "", "Real Time Stream Control Protocol"},
	{"nqs", 607, "tcp", "", "Network Queuing system"},
	{"asf-rmcp", 623, "udp", "", "ASF Remote Management and Control Protocol"},
	{"qmqp", 628, "tcp", "", ""},
	{"ipp", 631, "tcp", "", "Internet Printing Protocol"},
	{"ldp", 646, "tcp udp", "", "Label Distribution Protocol"},
	{"exec", 512, "tcp", "", ""},
	{"biff", 512, "udp", "comsat", ""},
	{"login", 513, "tcp", "", ""},
	{"who", 513, "udp", "whod", ""},
	{"shell", 514, "tcp", "cmd", "no passwords used"},
	{"syslog", 514, "udp", "", ""},
	{"printer", 515, "tcp", "spooler", "line printer spooler"},
	{"talk", 517, "udp", "", ""},
	{"ntalk", 518, "udp", "", ""},
	{"route", 520, "udp", "router routed", "RIP"},
	{"gdomap", 538, "tcp udp", "", "GNUstep distributed objects"},
	{"uucp", 540, "tcp", "uucpd", "uucp daemon"},
	{"klogin", 543, "tcp", "", "Kerberized `rlogin' (v5)"},
	{"kshell", 544, "tcp", "krcmd", "Kerberized `rsh' (v5)"},
	{"dhcpv6-client", 546, "tcp udp", "", ""},
	{"dhcpv6-server", 547, "tcp udp", "", ""},
	{"afpovertcp", 548, "tcp", "", "AFP over TCP"},
	{"nntps", 563, "tcp", "snntp", "NNTP over SSL"},
	{"submission", 587, "tcp", "", "Submission [RFC4409]"},
	{"ldaps", 636, "tcp udp", "", "LDAP over SSL"},
	{"tinc", 655, "tcp udp", "", "tinc control port"},
	{"silc", 706, "tcp", "", ""},
	{"kerberos-adm", 749, "tcp", "", "Kerberos `kadmin' (v5)"},
	{"domain-s", 853, "tcp udp", "", "DNS over TLS [RFC7858]"},
	{"rsync", 873, "tcp", "", ""},
	{"ftps-data", 989, "tcp", "", "FTP over SSL (data)"},
	{"ftps", 990, "tcp", "", ""},
	{"telnets", 992, "tcp", "", "Telnet over SSL"},
	{"imaps", 993, "tcp", "", "IMAP over SSL"},
	{"pop3s", 995, "tcp", "", "POP-3 over SSL"},
	{"socks", 1080, "tcp", "", "socks proxy server"},
	{"proofd", 1093, "tcp", "", ""},
	{"rootd", 1094, "tcp", "", ""},
	{"openvpn", 1194, "tcp udp", "", ""},
	{"rmiregistry", 1099, "tcp", "", "Java RMI Registry"},
	{"lotusnote", 1352, "tcp", "lotusnotes", "Lotus Note"},
	{"ms-sql-s", 1433, "tcp", "", "Microsoft SQL Server"},
	{"ms-sql-m", 1434, "udp", "", "Microsoft SQL Monitor"},
	{"ingreslock", 1524, "tcp", "", ""},
	{"datametrics", 1645, "tcp udp", "old-radius", ""},
	{"sa-msg-port", 1646, "tcp udp", "old-radacct", ""},
	{"kermit", 1649, "tcp", "", ""},
	{"groupwise", 1677, "tcp", "", ""},
	{"l2f", 1701, "udp", "l2tp", ""},
	{"radius", 1812, "tcp udp", "", ""},
	{"radius-acct", 1813, "tcp udp", "radacct", "Radius Accounting"},
	{"cisco-sccp", 2000, "tcp", "", "Cisco SCCP"},
	{"nfs", 2049, "tcp udp", "", "Network File System"},
	{"gnunet", 2086, "tcp udp", "", ""},
	{"rtcm-sc104", 2101, "tcp udp", "", "RTCM SC-104 IANA 1/29/99"},
	{"gsigatekeeper", 2119, "tcp", "", ""},
	{"gris", 2135, "tcp", "", "Grid Resource Information Server"},
	{"cvspserver", 2401, "tcp", "", "CVS client/server operations"},
	{"venus", 2430, "tcp udp", "", "codacon port"},
	{"venus-se", 2431, "tcp udp", "", "tcp side effects"},
	{"codasrv", 2432, "tcp udp", "", "not used"},
	{"codasrv-se", 2433, "tcp udp", "", "tcp side effects"},
	{"mon", 2583, "tcp udp", "", "MON traps"},
	{"dict", 2628, "tcp", "", "Dictionary server"},
	{"f5-globalsite", 2792, "tcp", "", ""},
	{"gsiftp", 2811, "tcp", "", ""},
	{"gpsd", 2947, "tcp", "", ""},
	{"gds-db", 3050, "tcp", "gds_db", "InterBase server"},
	{"icpv2", 3130, "udp", "icp", "Internet Cache Protocol"},
	{"isns", 3205, "tcp udp", "", "iSNS Server Port"},
	{"iscsi-target", 3260, "tcp", "", ""},
	{"mysql", 3306, "tcp", "", ""},
	{"ms-wbt-server", 3389, "tcp", "", ""},
	{"nut", 3493, "tcp udp", "", "Network UPS Tools"},
	{"distcc", 3632, "tcp", "", "distributed compiler"},
	{"daap", 3689, "tcp", "", "Digital Audio Access Protocol"},
	{"svn", 3690, "tcp", "subversion", "Subversion protocol"},
	{"suucp", 4031, "tcp udp", "", "UUCP over SSL"},
	{"sysrqd", 4094, "tcp", "", "sysrq daemon"},
	{"sieve", 4190, "tcp", "", "ManageSieve Protocol"},
	{"epmd", 4369, "tcp", "", "Erlang Port Mapper Daemon"},
	{"remctl", 4373, "tcp", "", "Remote Authenticated Command Service"},
	{"f5-iquery", 4353, "tcp", "", "F5 iQuery"},
	{"ntske", 4460, "tcp", "", "Network Time Security Key Establishment"},
	{"ipsec-nat-t", 4500, "udp", "", "IPsec NAT-Traversal [RFC3947]"},
	{"iax", 4569, "udp", "", "Inter-Asterisk eXchange"},
	{"mtn", 4691, "tcp", "", "monotone Netsync Protocol"},
	{"radmin-port", 4899, "tcp", "", "RAdmin Port"},
	{"sip", 5060, "tcp udp", "", "Session Initiation Protocol"},
	{"sip-tls", 5061, "tcp udp", "", ""},
	{"xmpp-client", 5222, "tcp", "jabber-client", "Jabber Client Connection"},
	{"xmpp-server", 5269, "tcp", "jabber-server", "Jabber Server Connection"},
	{"cfengine", 5308, "tcp", "", ""},
	{"mdns", 5353, "udp", "", "Multicast DNS"},
	{"postgresql", 5432, "tcp", "postgres", "PostgreSQL Database"},
	{"freeciv", 5556, "tcp", "rptp", "Freeciv gameplay"},
	{"amqps", 5671, "tcp", "", "AMQP protocol over TLS/SSL"},
	{"amqp", 5672, "tcp sctp", "", ""},
	{"x11", 6000, "tcp", "x11-0", "X Window System"},
	{"x11-1", 6001, "tcp", "", ""},
	{"x11-2", 6002, "tcp", "", ""},
	{"x11-3", 6003, "tcp", "", ""},
	{"x11-4", 6004, "tcp", "", ""},
	{"x11-5", 6005, "tcp", "", ""},
	{"x11-6", 6006, "tcp", "", ""},
	{"x11-7", 6007, "tcp", "", ""},
	{"gnutella-svc", 6346, "tcp udp", "", "gnutella"},
	{"gnutella-rtr", 6347, "tcp udp", "", "gnutella"},
	{"redis", 6379, "tcp", "", ""},
	{"sge-qmaster", 6444, "tcp", "sge_qmaster", "Grid Engine Qmaster Service"},
	{"sge-execd", 6445, "tcp", "sge_execd", "Grid Engine Execution Service"},
	{"mysql-proxy", 6446, "tcp", "", "MySQL Proxy"},
	{"babel", 6696, "udp", "", "Babel Routing Protocol"},
	{"ircs-u", 6697, "tcp", "", "Internet Relay Chat via TLS/SSL"},
	{"bbs", 7000, "tcp", "", ""},
	{"afs3-fileserver", 7000, "udp", "", ""},
	{"afs3-callback", 7001, "udp", "", "callbacks to cache managers"},
	{"afs3-prserver", 7002, "udp", "", "users & groups database"},
	{"afs3-vlserver", 7003, "udp", "", "volume location database"},
	{"font-service", 7100, "tcp", "xfs", "X Font Service"},
	{"http-alt", 8080, "tcp", "webcache", "WWW caching service"},
	{"puppet", 8140, "tcp", "", "The Puppet master service"},
	{"bacula-dir", 9101, "tcp", "", "Bacula Director"},
	{"bacula-fd", 9102, "tcp", "", "Bacula File Daemon"},
	{"bacula-sd", 9103, "tcp", "", "Bacula Storage Daemon"},
	{"xmms2", 9667, "tcp", "", "Cross-platform Music Multiplexing System"},
	{"nbd", 10809, "tcp", "", "Linux Network Block Device"},
	{"zabbix-agent", 10050, "tcp", "", "Zabbix Agent"},
	{"zabbix-trapper", 10051, "tcp", "", "Zabbix Trapper"},
	{"amanda", 10080, "tcp", "", "amanda backup services"},
	{"dicom", 11112, "tcp", "", "DICOM (Digital Imaging and Communications in Medicine)"},
	{"hkp", 11371, "tcp", "", "OpenPGP HTTP Keyserver"},
	{"db-lsp", 17500, "tcp", "", "Dropbox LanSync Protocol"},
	{"dcap", 22125, "tcp", "", "dCache Access Protocol"},
	{"gsidcap", 22128, "tcp", "", "GSI dCache Access Protocol"},
	{"wnn6", 22273, "tcp", "", "wnn6"},
}

// protocols are the /etc/protocols entries: name, number, alias, comment.
var protocols = []struct {
	name    string
	number  int
	alias   string
	comment string
}{
	{"ip", 0, "IP", "internet protocol, pseudo protocol number"},
	{"hopopt", 0, "HOPOPT", "IPv6 Hop-by-Hop Option [RFC1883]"},
	{"icmp", 1, "ICMP", "internet control message protocol"},
	{"igmp", 2, "IGMP", "Internet Group Management"},
	{"ggp", 3, "GGP", "gateway-gateway protocol"},
	{"ipencap", 4, "IP-ENCAP", "IP encapsulated in IP (officially ``IP'')"},
	{"st", 5, "ST", "ST datagram mode"},
	{"tcp", 6, "TCP", "transmission control protocol"},
	{"egp", 8, "EGP", "exterior gateway protocol"},
	{"igp", 9, "IGP", "any private interior gateway (Cisco)"},
	{"pup", 12, "PUP", "PARC universal packet protocol"},
	{"udp", 17, "UDP", "user datagram protocol"},
	{"hmp", 20, "HMP", "host monitoring protocol"},
	{"xns-idp", 22, "XNS-IDP", "Xerox NS IDP"},
	{"rdp", 27, "RDP", "\"reliable datagram\" protocol"},
	{"iso-tp4", 29, "ISO-TP4", "ISO Transport Protocol class 4 [RFC905]"},
	{"dccp", 33, "DCCP", "Datagram Congestion Control Prot. [RFC4340]"},
	{"xtp", 36, "XTP", "Xpress Transfer Protocol"},
	{"ddp", 37, "DDP", "Datagram Delivery Protocol"},
	{"idpr-cmtp", 38, "IDPR-CMTP", "IDPR Control Message Transport"},
	{"ipv6", 41, "IPv6", "Internet Protocol, version 6"},
	{"ipv6-route", 43, "IPv6-Route", "Routing Header for IPv6"},
	{"ipv6-frag", 44, "IPv6-Frag", "Fragment Header for IPv6"},
	{"idrp", 45, "IDRP", "Inter-Domain Routing Protocol"},
	{"rsvp", 46, "RSVP", "Reservation Protocol"},
	{"gre", 47, "GRE", "General Routing Encapsulation"},
	{"esp", 50, "IPSEC-ESP", "Encap Security Payload [RFC2406]"},
	{"ah", 51, "IPSEC-AH", "Authentication Header [RFC2402]"},
	{"skip", 57, "SKIP", "SKIP"},
	{"ipv6-icmp", 58, "IPv6-ICMP", "ICMP for IPv6"},
	{"ipv6-nonxt", 59, "IPv6-NoNxt", "No Next Header for IPv6"},
	{"ipv6-opts", 60, "IPv6-Opts", "Destination Options for IPv6"},
	{"rspf", 73, "RSPF", "Radio Shortest Path First (officially CPHB)"},
	{"vmtp", 81, "VMTP", "Versatile Message Transport"},
	{"eigrp", 88, "EIGRP", "Enhanced Interior Routing Protocol (Cisco)"},
	{"ospf", 89, "OSPFIGP", "Open Shortest Path First IGP"},
	{"ax.25", 93, "AX.25", "AX.25 frames"},
	{"ipip", 94, "IPIP", "IP-within-IP Encapsulation Protocol"},
	{"etherip", 97, "ETHERIP", "Ethernet-within-IP Encapsulation [RFC3378]"},
	{"encap", 98, "ENCAP", "Yet Another IP encapsulation [RFC1241]"},
	{"pim", 103, "PIM", "Protocol Independent Multicast"},
	{"ipcomp", 108, "IPCOMP", "IP Payload Compression Protocol"},
	{"vrrp", 112, "VRRP", "Virtual Router Redundancy Protocol [RFC5798]"},
	{"l2tp", 115, "L2TP", "Layer Two Tunneling Protocol [RFC2661]"},
	{"isis", 124, "ISIS", "IS-IS over IPv4"},
	{"sctp", 132, "SCTP", "Stream Control Transmission Protocol"},
	{"fc", 133, "FC", "Fibre Channel"},
	{"mobility-header", 135, "Mobility-Header", "Mobility Support for IPv6 [RFC3775]"},
	{"udplite", 136, "UDPLite", "UDP-Lite [RFC3828]"},
	{"mpls-in-ip", 137, "MPLS-in-IP", "MPLS-in-IP [RFC4023]"},
	{"manet", 138, "", "MANET Protocols [RFC5498]"},
	{"hip", 139, "HIP", "Host Identity Protocol"},
	{"shim6", 140, "Shim6", "Shim6 Protocol [RFC5533]"},
	{"wesp", 141, "WESP", "Wrapped Encapsulating Security Payload"},
	{"rohc", 142, "ROHC", "Robust Header Compression"},
	{"ethernet", 143, "Ethernet", "Ethernet encapsulation for SRv6 [RFC8986]"},
}

// servicesFile is /etc/services in netbase's layout.
func servicesFile() []byte {
	var b strings.Builder
	b.WriteString("# Network services, Internet style\n#\n")
	b.WriteString("# Updated from https://www.iana.org/assignments/service-names-port-numbers .\n#\n")
	b.WriteString("# New ports will be added on request if they have been officially assigned\n")
	b.WriteString("# by IANA and used in the real-world or are needed by a debian package.\n")
	b.WriteString("# If you need a huge list of used numbers please install the nmap package.\n\n")
	for _, s := range services {
		for _, proto := range strings.Fields(s.protos) {
			line := fmt.Sprintf("%s\t\t%d/%s", s.name, s.port, proto)
			if len(s.name) >= 8 {
				line = fmt.Sprintf("%s\t%d/%s", s.name, s.port, proto)
			}
			if s.aliases != "" {
				line += "\t\t" + s.aliases
			}
			if s.comment != "" {
				line += "\t\t# " + s.comment
			}
			b.WriteString(line + "\n")
		}
	}
	return []byte(b.String())
}

// protocolsFile is /etc/protocols in netbase's layout.
func protocolsFile() []byte {
	var b strings.Builder
	b.WriteString("# Internet (IP) protocols\n#\n# Updated from http://www.iana.org/assignments/protocol-numbers and other\n")
	b.WriteString("# sources.\n# New protocols will be added on request if they have been officially\n")
	b.WriteString("# assigned by IANA and are not historical.\n# If you need a huge list of used numbers please install the nmap package.\n\n")
	for _, p := range protocols {
		fmt.Fprintf(&b, "%s\t%d\t%s\t\t# %s\n", p.name, p.number, p.alias, p.comment)
	}
	return []byte(b.String())
}
