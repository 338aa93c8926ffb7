// Package text makes strings that came from an image safe to show: names,
// link targets, layer history and labels are hostile until escaped, since a
// file name holding ESC or a newline could restyle a user's terminal or
// forge a line of output. Escape is the one terminal-safe form every human
// output (CLI text, CI lines, DOT, the TUI) uses; DOT quotes for Graphviz;
// JSONString and NonUTF8 keep names lossless in JSON. The package only
// transforms strings: it never prints.
package text
