module gadgetc.dev/samples/trace_exit_go

go 1.24
