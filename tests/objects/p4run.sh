#!/usr/bin/env bash
# p4run.sh: "stapjit ARGS" the long way round: `stapjit -p4 ARGS` writes the
# object, then `stapjit-run OBJECT` runs it.  Stands in for stapjit in the
# semantics corpus (../semantics/run.sh), whose expected output, messages
# and exit statuses must then hold for saved objects too.
#
#   STAPJIT=... STAPJIT_RUN=... p4run.sh [STAPJIT-OPTIONS] SCRIPT [ARGS...]
#
# The object goes in the current directory under a name of its own, and is
# removed.  -p4's stderr (warnings of passes 1-4) comes first, as in a
# direct run; when -p4 fails, its stderr and status are the result.
set -u
name=p4run_$$_$RANDOM
out=$(mktemp)
trap 'rm -f "$name.bpf.o" "$out"' EXIT
"$STAPJIT" -p4 -m "$name" "$@" >"$out"
rc=$?
if [ $rc -ne 0 ]; then
  cat "$out"
  exit $rc
fi
"$STAPJIT_RUN" "$name.bpf.o"
