package finding

import (
	"github.com/whittle-dev/whittle/internal/binenc"
)

// AppendBinary appends fs to b in binenc's encoding, every field kept
// (the change's maps in key order): how whittle's caches store findings.
// DecodeBinary reads it back.
func AppendBinary(b []byte, fs []Finding) []byte {
	b = binenc.AppendUvarint(b, uint64(len(fs)))
	for _, f := range fs {
		b = binenc.AppendString(b, f.Kind)
		b = binenc.AppendString(b, string(f.Severity))
		b = binenc.AppendStrings(b, f.Paths)
		b = binenc.AppendVarint(b, int64(f.Layer))
		b = binenc.AppendVarint(b, f.Bytes)
		b = binenc.AppendString(b, f.Message)
		b = binenc.AppendString(b, f.Fix)
		if f.Change == nil {
			b = append(b, 0)
			continue
		}
		b = append(b, 1)
		b = binenc.AppendStrings(b, f.Change.Drop)
		b = appendMap(b, f.Change.Etc)
		b = appendMap(b, f.Change.Config)
	}
	return b
}

func appendMap(b []byte, m map[string]string) []byte {
	return binenc.AppendMap(b, m, binenc.AppendString)
}

// DecodeBinary reads what AppendBinary wrote; nil for none. On corrupt
// input it returns nil and d.Err() says so.
func DecodeBinary(d *binenc.Decoder) []Finding {
	n := d.Count()
	if n == 0 {
		return nil
	}
	fs := make([]Finding, n)
	for i := range fs {
		f := &fs[i]
		f.Kind = d.String()
		f.Severity = Severity(d.String())
		f.Paths = d.Strings()
		f.Layer = int(d.Varint())
		f.Bytes = d.Varint()
		f.Message = d.String()
		f.Fix = d.String()
		switch d.Byte() {
		case 0:
		case 1:
			f.Change = &Change{Drop: d.Strings(), Etc: decodeMap(d), Config: decodeMap(d)}
		default:
			d.Fail()
			return nil
		}
		if d.Err() != nil {
			return nil
		}
	}
	return fs
}

func decodeMap(d *binenc.Decoder) map[string]string {
	m := binenc.DecodeMap(d, (*binenc.Decoder).String)
	if len(m) == 0 {
		return nil
	}
	return m
}
