# Host probes only: the front end, the interpreter, execname() in the guest.
stapjit -e 'probe begin { println("hello from " . execname()) exit() }'
