package analyze

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cespare/xxhash/v2"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/atomicfile"
	"github.com/whittle-dev/whittle/internal/binenc"
)

// Cache keeps parsed layer indexes on disk, keyed by diff ID, so that
// opening an image again skips the layers already read; and, apart, the
// facts of each stored blob (compression, stored size), keyed by the
// blob's own digest. The cache holds bytes of images (the content cache
// keeps small files, /etc/shadow among them), so its directory is 0700
// and its files 0600 whatever the umask; an entry found with a looser
// mode is tightened before it is read. Writes go through atomicfile, so concurrent runs
// never see half a file; a file that fails its checksum is treated as
// absent.
type Cache struct {
	Dir string

	dirChecked atomic.Bool
}

// read returns the bytes of the entry under key (see readCacheFile);
// the first read of a Cache also tightens a cache directory left
// readable by others (an older version made it 0755) to 0700.
func (c *Cache) read(key string) ([]byte, bool) {
	if !c.dirChecked.Swap(true) {
		if fi, err := os.Stat(c.Dir); err == nil && fi.IsDir() && fi.Mode().Perm()&0o077 != 0 {
			_ = os.Chmod(c.Dir, 0o700) // a write tightens it too, or says why not
		}
	}
	return readCacheFile(c.file(key))
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
	cacheVersion = 6 // 6: sparse files hashed by map and stored bytes
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
	b, ok := c.read(key)
	if !ok {
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
	if err := atomicfile.MkdirPrivate(c.Dir); err != nil {
		return fmt.Errorf("creating cache directory: %w", err)
	}
	if err := atomicfile.WritePrivate(c.file(key), b); err != nil {
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
	// StoredDigest is the sha256 of the stored bytes as read (the diff ID
	// for an uncompressed layer); zero when it was not computed (a
	// registry's blob, whose digest the registry client checks).
	StoredDigest v1.Hash
	// Fingerprint is the source's fingerprint of the stored bytes when
	// they were read (source.Layer.Fingerprint), or "".
	Fingerprint string
}

const blobMagic = "WHITTLE-BLOB-FACTS\n"

// GetBlob returns the facts cached under a blob key, or false.
func (c *Cache) GetBlob(key string) (BlobFacts, bool) {
	if c == nil || key == "" {
		return BlobFacts{}, false
	}
	b, ok := c.read(key)
	if !ok {
		return BlobFacts{}, false
	}
	f, err := decodeBlobFacts(b)
	return f, err == nil
}

// PutBlob stores a blob's facts under key atomically.
func (c *Cache) PutBlob(key string, f BlobFacts) error {
	return c.write(key, encodeBlobFacts(f))
}

// blobFactsVersion is the version byte after blobMagic; an entry of
// another version is absent.
const blobFactsVersion = 2

func encodeBlobFacts(f BlobFacts) []byte {
	b := append([]byte(blobMagic), blobFactsVersion)
	start := len(b)
	b = binenc.AppendString(b, f.DiffID.String())
	b = binenc.AppendString(b, string(f.Compression))
	b = binary.AppendVarint(b, f.StoredBytes)
	stored := ""
	if f.StoredDigest.Hex != "" {
		stored = f.StoredDigest.String()
	}
	b = binenc.AppendString(b, stored)
	b = binenc.AppendString(b, f.Fingerprint)
	return binary.LittleEndian.AppendUint64(b, xxhash.Sum64(b[start:]))
}

func decodeBlobFacts(b []byte) (BlobFacts, error) {
	var f BlobFacts
	if !bytes.HasPrefix(b, []byte(blobMagic)) || len(b) < len(blobMagic)+9 || b[len(blobMagic)] != blobFactsVersion {
		return f, errCorrupt
	}
	body := b[len(blobMagic)+1 : len(b)-8]
	if xxhash.Sum64(body) != binary.LittleEndian.Uint64(b[len(b)-8:]) {
		return f, errCorrupt
	}
	d := binenc.NewDecoder(body)
	diffID := d.String()
	f.Compression = Compression(d.String())
	f.StoredBytes = d.Varint()
	stored := d.String()
	f.Fingerprint = d.String()
	if d.Done() != nil {
		return f, errCorrupt
	}
	h, err := v1.NewHash(diffID)
	if err != nil {
		return f, errCorrupt
	}
	f.DiffID = h
	if stored != "" {
		if f.StoredDigest, err = v1.NewHash(stored); err != nil {
			return f, errCorrupt
		}
	}
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
	b = binenc.AppendString(b, li.DiffID.String())
	b = binenc.AppendString(b, string(li.Compression))
	b = binary.AppendVarint(b, li.StoredBytes)
	b = binary.AppendVarint(b, li.TarBytes)
	b = finding.AppendBinary(b, li.Findings)
	b = binary.AppendUvarint(b, uint64(len(li.Entries)))
	for i := range li.Entries {
		e := &li.Entries[i]
		b = binenc.AppendString(b, e.Path)
		b = append(b, byte(e.Type))
		b = binary.AppendUvarint(b, uint64(e.Mode))
		b = binary.AppendVarint(b, int64(e.UID))
		b = binary.AppendVarint(b, int64(e.GID))
		b = binary.AppendVarint(b, e.Size)
		b = binary.AppendVarint(b, e.Offset)
		b = binary.LittleEndian.AppendUint64(b, e.Hash)
		b = binenc.AppendString(b, e.Link)
	}
	return binary.LittleEndian.AppendUint64(b, xxhash.Sum64(b[start:]))
}

var errCorrupt = binenc.ErrCorrupt

func decodeLayerIndex(b []byte) (*LayerIndex, error) {
	if !bytes.HasPrefix(b, []byte(cacheMagic)) || len(b) < len(cacheMagic)+9 {
		return nil, errCorrupt
	}
	body := b[len(cacheMagic) : len(b)-8]
	d := binenc.NewDecoderOwned(body)
	if d.Uvarint() != cacheVersion {
		return nil, errCorrupt
	}
	if xxhash.Sum64(d.Rest()) != binary.LittleEndian.Uint64(b[len(b)-8:]) {
		return nil, errCorrupt
	}
	li := &LayerIndex{}
	diffID := d.String()
	if diffID != "" && d.Err() == nil {
		h, err := v1.NewHash(diffID)
		if err != nil {
			return nil, errCorrupt
		}
		li.DiffID = h
	}
	li.Compression = Compression(d.String())
	li.StoredBytes = d.Varint()
	li.TarBytes = d.Varint()
	li.Findings = finding.DecodeBinary(d)
	n := d.Count()
	if d.Err() != nil {
		return nil, errCorrupt
	}
	li.Entries = make([]Entry, n)
	for i := range li.Entries {
		e := &li.Entries[i]
		e.Path = d.String()
		e.Type = Type(d.Byte())
		e.Mode = uint32(d.Uvarint())
		e.UID = int32(d.Varint())
		e.GID = int32(d.Varint())
		e.Size = d.Varint()
		e.Offset = d.Varint()
		e.Hash = d.Uint64()
		e.Link = d.String()
		if d.Err() != nil {
			return nil, errCorrupt
		}
	}
	if d.Done() != nil {
		return nil, errCorrupt
	}
	return li, nil
}

// GetData returns the bytes another package cached under kind and key
// (the closure's per-layer file facts), or false when there are none or
// they fail their checksum.
func (c *Cache) GetData(kind, key string) ([]byte, bool) {
	if c == nil || key == "" {
		return nil, false
	}
	b, ok := c.read(kind + "-" + key)
	if !ok || len(b) < 8 {
		return nil, false
	}
	body := b[:len(b)-8]
	if dataSum(kind, key, body) != binary.LittleEndian.Uint64(b[len(b)-8:]) {
		return nil, false
	}
	return body, true
}

// dataSum is the xxHash64 of an entry's kind, key and bytes: a file
// copied under another key fails it as a damaged one does.
func dataSum(kind, key string, body []byte) uint64 {
	h := xxhash.New()
	h.WriteString(kind)
	h.WriteString("\x00")
	h.WriteString(key)
	h.WriteString("\x00")
	h.Write(body)
	return h.Sum64()
}

// maxCacheFile is the largest cache file read; a larger one is taken for
// damaged (a 10,000-file layer's index is about 1 MB).
const maxCacheFile = 1 << 30

// readCacheFile returns a cache file's bytes, or false when it is not a
// regular file of at most maxCacheFile bytes (a FIFO, a device, a link
// to one, a huge file), cannot be made private, or cannot be read: a
// cache entry that is not what
// whittle writes is absent, it never blocks or exhausts memory.
func readCacheFile(p string) ([]byte, bool) {
	b, err := atomicfile.ReadPrivate(p, maxCacheFile)
	return b, err == nil
}

// PutData caches b under kind and key, atomically, followed by the
// xxHash64 of kind, key and b (which catches a torn or damaged file, as
// the layer index's does, and one copied under another key).
func (c *Cache) PutData(kind, key string, b []byte) error {
	return c.write(kind+"-"+key, binary.LittleEndian.AppendUint64(append([]byte(nil), b...), dataSum(kind, key, b)))
}

// TouchData marks the entry under kind and key as just used, for
// PruneData; it does nothing when the entry is gone.
func (c *Cache) TouchData(kind, key string) {
	if c == nil || key == "" {
		return
	}
	now := time.Now()
	_ = os.Chtimes(c.file(kind+"-"+key), now, now)
}

// PruneData removes the entries of one kind beyond the keep most
// recently written or touched: for kinds keyed by more than the layers
// (a closure per set of roots and options, per whittle build), which
// would otherwise grow without bound. Entries another process removes
// meanwhile are not an error; nothing else is removed.
func (c *Cache) PruneData(kind string, keep int) error {
	if c == nil {
		return nil
	}
	entries, err := os.ReadDir(c.Dir)
	if err != nil {
		return fmt.Errorf("pruning the cache: %w", err)
	}
	type aged struct {
		name string
		mod  time.Time
	}
	var found []aged
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), kind+"-") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		found = append(found, aged{e.Name(), info.ModTime()})
	}
	if len(found) <= keep {
		return nil
	}
	sort.Slice(found, func(i, j int) bool { return found[i].mod.After(found[j].mod) })
	for _, f := range found[keep:] {
		if err := os.Remove(filepath.Join(c.Dir, f.name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("pruning the cache: %w", err)
		}
	}
	return nil
}
