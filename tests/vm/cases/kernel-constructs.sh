# The language in a kernel probe on 6.1's verifier (no cpuv4, older
# callback rules): loops and foreach as bpf_loop / bpf_for_each_map_elem
# callbacks, inlined functions, try/catch across callbacks, statistics read
# in the probe, sprintf, string functions, regexes.  Each body must print in
# a kernel probe exactly what it prints in a begin probe, where the
# interpreter runs it: the expected output is only "same", once per body.
funcs='function total() { s = 0; foreach (k in a) s += a[k]; return s }
function grow(s) { r = ""; for (i = 0; i < 3; i++) r .= s; return r }'

loops='for (i = 0; i < 10; i++) a[i] = i * i
  printf("%d %s\n", total(), grow("ab"))
  n = 0
  while (1) { n++; if (n > 5) break; if (n % 2) continue; printf("even %d\n", n) }
  try { for (i = 3; i >= -1; i--) printf("x=%d\n", 12 / i) } catch (e) { println("caught ", e) }
  k = 0; foreach (x in a limit 3) k++; println(k)
  b[1, "x"] = 1; b[2, "y"] = 2; b[3, "x"] = 3
  k = 0; foreach ([p, q] in b[*, "x"]) k += p; println(k, " ", [*, "y"] in b)
  delete b[*, "x"]; delete a[0]; println(total(), " ", [5] in a, " ", [0] in a)
  delete a; println(total())'

strings='println(sprintf("[%5d][%-5d][%05d][%+d][%x][%#o][%X][%c][%#c][%5s][%.2s][%*d]", 42, 42, 42, 42, 255, 8, 255, 65, 10, "ab", "abc", 4, 7))
  println(text_str("a\tb\xc3\xa9"), string_quoted("q\"x"), substr("hello", 1, 3), strpos("hello", "ll"))
  println(str_replace("abcabc", "bc", "X"), strtol("0x1f", 0), toupper("abc"), errno_str(2), strlen("four"))
  t = tokenize("a,b,,c", ","); while (t != "") { printf("<%s>", t); t = tokenize("", ",") }
  println()
  if ("key=value" =~ "=[a-z]+$") println(matched(0))
  println("abc" =~ "^a.c$", "abc" !~ "b")'

stats='for (i = 1; i <= 50; i++) { st <<< i; sa[i % 3] <<< i; hs <<< i % 5 }
  printf("%d %d %d %d %d %d\n", @count(st), @sum(st), @min(st), @max(st), @avg(st), @variance(st))
  k = 0; foreach (x in sa) k += @sum(sa[x]); println(k, " ", @max(sa[2]), " ", @hist_linear(hs, 0, 4, 1)[2])
  try { println(@min(sa[9])) } catch (e) { println("caught ", e) }'

for body in loops strings stats; do
  eval "code=\$$body"
  stapjit -D MAXACTION=10000 -D MAXACTION_INTERRUPTIBLE=10000 \
    -e "global a, b, st, sa, hs
$funcs
probe begin { $code
  exit() }" >host.out 2>&1
  hs=$?
  stapjit -D MAXACTION=10000 -D MAXACTION_INTERRUPTIBLE=10000 -c 'getppid 20' \
    -e "global a, b, st, sa, hs, done
$funcs
probe kernel.trace(\"syscalls:sys_enter_getppid\") { if (pid() != target() || done) next; done = 1
  $code
  exit() }" >kern.out 2>&1
  ks=$?
  if [ "$hs" = "$ks" ] && cmp -s host.out kern.out; then
    echo same
  else
    echo "$body: differs (status $hs, $ks)"
    cat host.out kern.out
  fi
done
