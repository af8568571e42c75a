// SPDX-License-Identifier: Apache-2.0

//! trace_exit_rust's WebAssembly module. Inspektor Gadget's wasm runtime
//! instantiates it as a WASI reactor (a cdylib: no _start) and calls the
//! exported gadgetInit, gadgetStart and gadgetStop; a non-zero result fails
//! that step.
//!
//! The module imports nothing but WASI: it does not reach the gadget's
//! events (that needs Inspektor Gadget's host API), so gadgetInit only
//! checks that the exit_code module decodes the kernel's encodings the way
//! the exit_status field's description says.

mod exit_code;

use std::sync::atomic::{AtomicBool, Ordering};

use exit_code::ExitStatus;

/// Wait statuses as the kernel writes them, and how they must read.
const CHECKS: [(u32, &str); 6] = [
    (0x0000, "exit 0"),
    (0x0100, "exit 1"),
    (0xff00, "exit 255"),
    (0x0009, "signal 9"),
    (0x000f, "signal 15"),
    (0x008b, "signal 11 (core dumped)"),
];

static INITIALIZED: AtomicBool = AtomicBool::new(false);
static RUNNING: AtomicBool = AtomicBool::new(false);

#[no_mangle]
#[allow(non_snake_case)]
pub extern "C" fn gadgetInit() -> i32 {
    for (status, text) in CHECKS {
        if ExitStatus::from_raw(status).to_string() != text {
            return 1;
        }
    }
    INITIALIZED.store(true, Ordering::SeqCst);
    0
}

#[no_mangle]
#[allow(non_snake_case)]
pub extern "C" fn gadgetStart() -> i32 {
    if !INITIALIZED.load(Ordering::SeqCst) {
        return 1;
    }
    RUNNING.store(true, Ordering::SeqCst);
    0
}

#[no_mangle]
#[allow(non_snake_case)]
pub extern "C" fn gadgetStop() -> i32 {
    RUNNING.store(false, Ordering::SeqCst);
    0
}
