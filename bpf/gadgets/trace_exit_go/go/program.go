// SPDX-License-Identifier: Apache-2.0

// trace_exit_go's WebAssembly module. Inspektor Gadget's wasm runtime
// instantiates it as a WASI reactor (built with -buildmode=c-shared, so the
// Go runtime starts in the exported _initialize instead of a _start) and
// calls the exported gadgetInit, gadgetStart and gadgetStop; a non-zero
// result fails that step.
//
// The module imports nothing but WASI: it does not reach the gadget's
// events (that needs Inspektor Gadget's host API), so gadgetInit only
// checks that the exitcode package decodes the kernel's encodings the way
// the exit_status field's description says.
package main

import "gadgetc.dev/samples/trace_exit_go/exitcode"

// Wait statuses as the kernel writes them, and how they must read.
var checks = []struct {
	status exitcode.Status
	text   string
}{
	{0x0000, "exit 0"},
	{0x0100, "exit 1"},
	{0xff00, "exit 255"},
	{0x0009, "signal 9"},
	{0x000f, "signal 15"},
	{0x008b, "signal 11 (core dumped)"},
}

var initialized, running bool

//go:wasmexport gadgetInit
func gadgetInit() int32 {
	for _, c := range checks {
		if c.status.String() != c.text {
			return 1
		}
	}
	initialized = true
	return 0
}

//go:wasmexport gadgetStart
func gadgetStart() int32 {
	if !initialized {
		return 1
	}
	running = true
	return 0
}

//go:wasmexport gadgetStop
func gadgetStop() int32 {
	running = false
	return 0
}

// main is never called in a reactor module, but package main needs one.
func main() {}
