#pragma once
// glibc's allocator tuned for tensor work, for the programs that train and label.
//
// A training step allocates and frees hundreds of tensors, some of them megabytes. By default
// glibc hands large freed blocks back to the system (munmap, heap trim) and the next step
// faults them back in 4 KiB at a time: BERT-small fine-tuning took 859k page faults for 10
// steps of batch 32, the student's first SST-2 epoch about 40 per sentence. Keeping freed
// memory (trim threshold, top pad), serving blocks up to 32 MiB from the heap, and letting
// glibc ask for transparent huge pages (madvise) removes nearly all of them and a quarter to
// half of the CPU time (BENCHMARKS.md, "Allocator tuning"). Nothing computed changes, only
// where memory comes from.
//
// These are glibc tunables, read once at process start, so the program re-executes itself
// (same process id, same arguments) with them added to GLIBC_TUNABLES.
namespace b2b {

// The tunables added, as GLIBC_TUNABLES spells them.
const char* malloc_tunables();

// Re-executes the running program with malloc_tunables() in GLIBC_TUNABLES, once. Does
// nothing (and returns) when GLIBC_TUNABLES already names a glibc.malloc tunable (the user's
// own choice, or this call's, after the re-exec), when B2B_MALLOC_TUNING=0, or when the
// program cannot be re-executed (it then runs untuned).
void reexec_with_malloc_tuning(char** argv);

}  // namespace b2b
