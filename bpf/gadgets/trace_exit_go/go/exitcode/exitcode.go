// SPDX-License-Identifier: Apache-2.0

// Package exitcode decodes the wait status that the kernel keeps in
// task_struct.exit_code when a process ends, and that trace_exit_go's eBPF
// program reports as exit_status: a normal exit stores the code in bits
// 8-15; a death by signal stores the signal number in bits 0-6 and sets
// bit 7 when a core was dumped.
package exitcode

import "strconv"

// Status is a wait status as the kernel stores it.
type Status uint32

// Exited reports whether the process called exit (no signal ended it).
func (s Status) Exited() bool { return s&0x7f == 0 }

// Code is the exit code; meaningful when Exited.
func (s Status) Code() int { return int(s>>8) & 0xff }

// Signal is the number of the signal that ended the process, 0 if none.
func (s Status) Signal() int {
	if sig := int(s & 0x7f); sig != 0x7f {
		return sig
	}
	return 0
}

// CoreDumped reports whether the signal that ended the process dumped core.
func (s Status) CoreDumped() bool { return !s.Exited() && s&0x80 != 0 }

// String describes the status, e.g. "exit 1", "signal 9" or
// "signal 11 (core dumped)".
func (s Status) String() string {
	if s.Exited() {
		return "exit " + strconv.Itoa(s.Code())
	}
	text := "signal " + strconv.Itoa(s.Signal())
	if s.CoreDumped() {
		text += " (core dumped)"
	}
	return text
}
