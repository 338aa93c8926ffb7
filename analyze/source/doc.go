// Package source opens images: it parses references in skopeo's syntax
// (docker://, docker-archive:, oci:, oci-archive:, docker-daemon:, dir:,
// rootfs-tar:, nix:, demo:, or a bare path detected by content) and hands
// back an Image — the config and the layers with what is known of them
// without reading their content. Each transport is one file that registers
// its Source; what a source knows beyond the image (Nix path info, a
// synthetic config) travels on the Image.
//
// It does not read layer content beyond what identifying the source needs
// (package analyze indexes layers), never writes outside the temporary
// files it owns (removed by Image.Close), and never prints.
package source
