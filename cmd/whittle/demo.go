package main

import "fmt"

// demoImage builds the built-in demo image.
func demoImage(name string) ([]byte, [][]byte, error) {
	return nil, nil, fmt.Errorf("the demo image is being written")
}
