package config

import _ "embed"

// Example is a complete, commented configuration: the file an operator
// starts from. sccbot demo runs with it and the docs quote it; a test keeps
// it loading cleanly. Callers must not modify it.
//
//go:embed example.yaml
var Example []byte
