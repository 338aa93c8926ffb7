package source

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func init() {
	register(TransportOCI, SourceFunc(func(ctx context.Context, r Reference, opts Options) (*Image, error) {
		fi, err := os.Stat(r.Value)
		if err != nil {
			return nil, describeOpenError(err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("not a directory; an archived layout is oci-archive:%s", r.Value)
		}
		dir := r.Value
		return openOCILayout(r, os.DirFS(dir), opts.Platform, func(p string) func() (string, error) {
			return pathFingerprint(filepath.Join(dir, filepath.FromSlash(p)))
		})
	}))
	register(TransportOCIArchive, SourceFunc(func(ctx context.Context, r Reference, opts Options) (*Image, error) {
		a, err := openTarArchive(r.Value)
		if err != nil {
			return nil, describeOpenError(err)
		}
		im, err := openOCILayout(r, a.FS(), opts.Platform, func(p string) func() (string, error) {
			m, err := a.member(p)
			if err != nil {
				return func() (string, error) { return "", err }
			}
			return memberFingerprint(a, m)
		})
		if err != nil {
			a.Close()
			return nil, err
		}
		im.AddCloser(a.Close)
		return im, nil
	}))
}

const refNameAnnotation = "org.opencontainers.image.ref.name"

// openOCILayout reads an OCI image layout from a file system: a directory
// (oci:) or the members of an archive (oci-archive:). A tag picks the
// manifest by its ref.name annotation; an image index is resolved to the
// requested platform. fingerprint gives the fingerprint of a blob's
// stored bytes by its path in fsys.
func openOCILayout(ref Reference, fsys fs.FS, plat *v1.Platform, fingerprint func(p string) func() (string, error)) (*Image, error) {
	layoutFile, err := fs.ReadFile(fsys, "oci-layout")
	if err != nil {
		return nil, fmt.Errorf("not an OCI image layout: no oci-layout file")
	}
	var layout struct {
		Version string `json:"imageLayoutVersion"`
	}
	if err := json.Unmarshal(layoutFile, &layout); err != nil || layout.Version == "" {
		return nil, fmt.Errorf("not an OCI image layout: oci-layout is not valid")
	}
	indexBytes, err := readLimited(fsys, "index.json")
	if err != nil {
		return nil, fmt.Errorf("reading index.json: %w", err)
	}
	index, err := v1.ParseIndexManifest(bytes.NewReader(indexBytes))
	if err != nil {
		return nil, fmt.Errorf("parsing index.json: %w", err)
	}
	read := func(d v1.Descriptor) ([]v1.Descriptor, error) {
		b, err := readBlob(fsys, d)
		if err != nil {
			return nil, err
		}
		child, err := v1.ParseIndexManifest(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("parsing image index %s: %w", d.Digest, err)
		}
		return child.Manifests, nil
	}
	desc, err := pickLayoutManifest(index.Manifests, ref.Tag, plat, read)
	if err != nil {
		return nil, err
	}
	if desc.MediaType.IsIndex() {
		if desc, err = pickPlatform([]v1.Descriptor{desc}, plat, read); err != nil {
			return nil, err
		}
	}
	mb, err := readBlob(fsys, desc)
	if err != nil {
		return nil, err
	}
	manifest, err := v1.ParseManifest(bytes.NewReader(mb))
	if err != nil {
		return nil, fmt.Errorf("parsing manifest %s: %w", desc.Digest, err)
	}
	raw, err := readBlob(fsys, manifest.Config)
	if err != nil {
		return nil, fmt.Errorf("reading image config: %w", err)
	}
	var layers []*Layer
	for _, ld := range manifest.Layers {
		ld := ld
		p := blobPath(ld.Digest)
		if _, err := fs.Stat(fsys, p); err != nil {
			return nil, fmt.Errorf("layer %s is missing from the layout", ld.Digest)
		}
		layers = append(layers, &Layer{
			Digest: ld.Digest, Size: ld.Size, MediaType: ld.MediaType, VerifyDigest: true,
			open:        func() (io.ReadCloser, error) { return fsys.Open(p) },
			fingerprint: fingerprint(p),
			stat: func() (int64, error) {
				fi, err := fs.Stat(fsys, p)
				if err != nil {
					return -1, fmt.Errorf("layer %s is missing from the layout", ld.Digest)
				}
				return fi.Size(), nil
			},
		})
	}
	im, err := newImage(ref, raw, layers)
	if err != nil {
		return nil, err
	}
	im.ManifestDigest = desc.Digest
	return im, nil
}

// pickLayoutManifest chooses the entry of index.json a reference names: by
// its ref.name annotation when a tag is given, then, when several entries
// are left, by platform. A flat index.json listing one manifest per
// platform (the image-layout specification's own example, and what
// go-containerregistry's layout.AppendImage with platforms writes) is read
// like an image index: --platform picks, and without it this machine's
// linux platform when one entry has it.
func pickLayoutManifest(ms []v1.Descriptor, tag string, plat *v1.Platform, read readIndex) (v1.Descriptor, error) {
	if len(ms) == 0 {
		return v1.Descriptor{}, fmt.Errorf("index.json lists no image")
	}
	var names []string
	seen := map[string]bool{}
	var named []v1.Descriptor
	for _, m := range ms {
		n := m.Annotations[refNameAnnotation]
		if tag != "" && (n == tag || strings.HasSuffix(n, ":"+tag)) {
			named = append(named, m)
		}
		if n != "" && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	cands := ms
	if tag != "" {
		if len(named) == 0 {
			return v1.Descriptor{}, fmt.Errorf("no image named %q in the layout (it has %s)", tag, orNone(names))
		}
		cands = named
	}
	if len(cands) == 1 {
		return cands[0], nil
	}
	for _, m := range cands {
		if m.Platform != nil {
			return pickPlatform(cands, plat, read)
		}
	}
	if tag == "" && len(names) == len(cands) {
		return v1.Descriptor{}, fmt.Errorf("the layout holds %d images (%s); pick one with oci:DIR:NAME", len(cands), orNone(names))
	}
	return v1.Descriptor{}, fmt.Errorf("the layout holds %d images with neither names nor platforms to tell them apart", len(cands))
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none named"
	}
	return strings.Join(limitStrings(names, maxListed), ", ")
}

func blobPath(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }

// readBlob reads a metadata blob and checks its size and digest.
func readBlob(fsys fs.FS, d v1.Descriptor) ([]byte, error) {
	if d.Size > metadataLimit {
		return nil, fmt.Errorf("blob %s is %d bytes, too large for metadata", d.Digest, d.Size)
	}
	b, err := readLimited(fsys, blobPath(d.Digest))
	if err != nil {
		return nil, fmt.Errorf("reading blob %s: %w", d.Digest, err)
	}
	if d.Digest.Algorithm != "sha256" {
		return nil, fmt.Errorf("blob %s: unsupported digest algorithm", d.Digest)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != d.Digest.Hex {
		return nil, fmt.Errorf("blob %s does not match its digest (read sha256:%s)", d.Digest, got)
	}
	if int64(len(b)) != d.Size {
		return nil, fmt.Errorf("blob %s is %d bytes, not the %d its descriptor says", d.Digest, len(b), d.Size)
	}
	return b, nil
}

func readLimited(fsys fs.FS, p string) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s is missing", p)
		}
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, metadataLimit+1))
	if err != nil {
		return nil, err
	}
	if len(b) > metadataLimit {
		return nil, fmt.Errorf("%s is larger than %d bytes", p, metadataLimit)
	}
	return b, nil
}
