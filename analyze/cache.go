package analyze

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cespare/xxhash/v2"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/atomicfile"
)

// Cache keeps parsed layer indexes on disk, keyed by diff ID, so that
// opening an image again skips the layers already read; and, apart, the
// facts of each stored blob (compression, stored size), keyed by the
// blob's own digest. Writes go through atomicfile, so concurrent runs
// never see half a file; a file that fails its checksum is treated as
// absent.
type Cache struct {
	Dir string
}

// DefaultCacheDir is $XDG_CACHE_HOME/whittle/layers (os.UserCacheDir).
func DefaultCacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the cache directory: %w", err)
	}
	return filepath.Join(base, "whittle", "layers"), nil
}

const (
	cacheMagic   = "WHITTLE-LAYER-INDEX\n"
	cacheVersion = 3
)

func (c *Cache) file(key string) string {
	name := strings.ReplaceAll(key, ":", "-")
	if len(name) > 100 || strings.ContainsAny(name, `/\`) {
		sum := sha256.Sum256([]byte(key))
		name = "key-" + hex.EncodeToString(sum[:])
	}
	return filepath.Join(c.Dir, name)
}

// Get returns the cached index for key, or false when there is none or the
// cached file is unreadable or corrupt.
func (c *Cache) Get(key string) (*LayerIndex, bool) {
	if c == nil || key == "" {
		return nil, false
	}
	b, err := os.ReadFile(c.file(key))
	if err != nil {
		return nil, false
	}
	li, err := decodeLayerIndex(b)
	if err != nil {
		return nil, false
	}
	return li, true
}

// Put stores li under key atomically.
func (c *Cache) Put(key string, li *LayerIndex) error {
	return c.write(key, encodeLayerIndex(li))
}

func (c *Cache) write(key string, b []byte) error {
	if c == nil || key == "" {
		return nil
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return fmt.Errorf("creating cache directory: %w", err)
	}
	if err := atomicfile.WriteFile(c.file(key), b); err != nil {
		return fmt.Errorf("writing cache: %w", err)
	}
	return nil
}

// BlobFacts are the facts of one stored copy of a layer: how it is
// compressed and how many bytes it takes. They belong to the blob, not to
// the diff ID the layer index is keyed by, and are cached apart.
type BlobFacts struct {
	DiffID      v1.Hash
	Compression Compression
	StoredBytes int64
}

const blobMagic = "WHITTLE-BLOB-FACTS\n"

// GetBlob returns the facts cached under a blob key, or false.
func (c *Cache) GetBlob(key string) (BlobFacts, bool) {
	if c == nil || key == "" {
		return BlobFacts{}, false
	}
	b, err := os.ReadFile(c.file(key))
	if err != nil {
		return BlobFacts{}, false
	}
	f, err := decodeBlobFacts(b)
	return f, err == nil
}

// PutBlob stores a blob's facts under key atomically.
func (c *Cache) PutBlob(key string, f BlobFacts) error {
	return c.write(key, encodeBlobFacts(f))
}

func encodeBlobFacts(f BlobFacts) []byte {
	b := append([]byte(blobMagic), 1)
	start := len(b)
	b = appendString(b, f.DiffID.String())
	b = appendString(b, string(f.Compression))
	b = binary.AppendVarint(b, f.StoredBytes)
	return binary.LittleEndian.AppendUint64(b, xxhash.Sum64(b[start:]))
}

func decodeBlobFacts(b []byte) (BlobFacts, error) {
	var f BlobFacts
	if !bytes.HasPrefix(b, []byte(blobMagic)) || len(b) < len(blobMagic)+9 || b[len(blobMagic)] != 1 {
		return f, errCorrupt
	}
	body := b[len(blobMagic)+1 : len(b)-8]
	if xxhash.Sum64(body) != binary.LittleEndian.Uint64(b[len(b)-8:]) {
		return f, errCorrupt
	}
	d := decoder{b: body, s: string(body)}
	diffID := d.str()
	f.Compression = Compression(d.str())
	f.StoredBytes = d.varint()
	if d.err != nil || d.off != len(d.b) {
		return f, errCorrupt
	}
	h, err := v1.NewHash(diffID)
	if err != nil {
		return f, errCorrupt
	}
	f.DiffID = h
	return f, nil
}

// encodeLayerIndex writes the magic, a version, the body and the body's
// xxHash64. Strings are stored whole, so the decoder can slice them all out
// of one copy of the file instead of allocating each.
func encodeLayerIndex(li *LayerIndex) []byte {
	b := make([]byte, 0, 64+len(li.Entries)*40)
	b = append(b, cacheMagic...)
	b = binary.AppendUvarint(b, cacheVersion)
	start := len(b)
	b = appendString(b, li.DiffID.String())
	b = appendString(b, string(li.Compression))
	b = binary.AppendVarint(b, li.StoredBytes)
	b = binary.AppendVarint(b, li.TarBytes)
	b = binary.AppendUvarint(b, uint64(len(li.Findings)))
	for _, f := range li.Findings {
		b = appendString(b, f.Kind)
		b = appendString(b, string(f.Severity))
		b = appendString(b, f.Message)
		b = appendString(b, f.Fix)
		b = binary.AppendUvarint(b, uint64(len(f.Paths)))
		for _, p := range f.Paths {
			b = appendString(b, p)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(li.Entries)))
	for i := range li.Entries {
		e := &li.Entries[i]
		b = appendString(b, e.Path)
		b = append(b, byte(e.Type))
		b = binary.AppendUvarint(b, uint64(e.Mode))
		b = binary.AppendVarint(b, int64(e.UID))
		b = binary.AppendVarint(b, int64(e.GID))
		b = binary.AppendVarint(b, e.Size)
		b = binary.LittleEndian.AppendUint64(b, e.Hash)
		b = appendString(b, e.Link)
	}
	return binary.LittleEndian.AppendUint64(b, xxhash.Sum64(b[start:]))
}

var errCorrupt = errors.New("corrupt cache file")

func decodeLayerIndex(b []byte) (*LayerIndex, error) {
	if !bytes.HasPrefix(b, []byte(cacheMagic)) || len(b) < len(cacheMagic)+9 {
		return nil, errCorrupt
	}
	body := b[len(cacheMagic) : len(b)-8]
	d := decoder{b: body, s: string(body)}
	if d.uvarint() != cacheVersion {
		return nil, errCorrupt
	}
	if xxhash.Sum64(d.b[d.off:]) != binary.LittleEndian.Uint64(b[len(b)-8:]) {
		return nil, errCorrupt
	}
	li := &LayerIndex{}
	diffID := d.str()
	if diffID != "" && d.err == nil {
		h, err := v1.NewHash(diffID)
		if err != nil {
			return nil, errCorrupt
		}
		li.DiffID = h
	}
	li.Compression = Compression(d.str())
	li.StoredBytes = d.varint()
	li.TarBytes = d.varint()
	nf := d.uvarint()
	for i := uint64(0); i < nf && d.err == nil; i++ {
		f := finding.Finding{Kind: d.str(), Severity: finding.Severity(d.str()), Message: d.str(), Fix: d.str()}
		np := d.uvarint()
		for j := uint64(0); j < np && d.err == nil; j++ {
			f.Paths = append(f.Paths, d.str())
		}
		li.Findings = append(li.Findings, f)
	}
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		return nil, errCorrupt
	}
	li.Entries = make([]Entry, n)
	for i := range li.Entries {
		e := &li.Entries[i]
		e.Path = d.str()
		e.Type = Type(d.byte())
		e.Mode = uint32(d.uvarint())
		e.UID = int32(d.varint())
		e.GID = int32(d.varint())
		e.Size = d.varint()
		e.Hash = d.uint64()
		e.Link = d.str()
		if d.err != nil {
			return nil, errCorrupt
		}
	}
	if d.err != nil || d.off != len(d.b) {
		return nil, errCorrupt
	}
	return li, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decoder reads the cache encoding; the first error sticks. s is b as a
// string, which strings are sliced from.
type decoder struct {
	b   []byte
	s   string
	off int
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) byte() byte {
	if d.err != nil || d.off >= len(d.b) {
		d.err = errCorrupt
		return 0
	}
	d.off++
	return d.b[d.off-1]
}

func (d *decoder) uint64() uint64 {
	if d.err != nil || d.off+8 > len(d.b) {
		d.err = errCorrupt
		return 0
	}
	d.off += 8
	return binary.LittleEndian.Uint64(d.b[d.off-8:])
}

func (d *decoder) str() string {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)-d.off) {
		d.err = errCorrupt
		return ""
	}
	s := d.s[d.off : d.off+int(n)]
	d.off += int(n)
	return s
}

// GetData returns the bytes another package cached under kind and key
// (the closure's per-layer file facts), or false when there are none or
// they fail their checksum.
func (c *Cache) GetData(kind, key string) ([]byte, bool) {
	if c == nil || key == "" {
		return nil, false
	}
	b, err := os.ReadFile(c.file(kind + "-" + key))
	if err != nil || len(b) < sha256.Size {
		return nil, false
	}
	body, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, false
	}
	return body, true
}

// PutData caches b under kind and key, atomically and checksummed.
func (c *Cache) PutData(kind, key string, b []byte) error {
	sum := sha256.Sum256(b)
	return c.write(kind+"-"+key, append(append([]byte(nil), b...), sum[:]...))
}
