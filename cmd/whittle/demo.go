package main

import "github.com/whittle-dev/whittle/analyze/demo"

// demoImage builds the built-in demo image (analyze.Options.Demo).
func demoImage(name string) ([]byte, [][]byte, error) {
	return demo.Build(name)
}
