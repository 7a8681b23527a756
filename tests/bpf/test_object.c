/* test_object.c: saved objects' bytes (backend-bpf/object.c).
 *
 * On a small ELF made here: what bobj_pack puts in comes back out of
 * bobj_unpack; the ELF's own bytes stay where they were; a second pack is
 * refused; every single damaged byte and every truncation is refused
 * (never a crash), another format version is refused saying which, and a
 * file without the section or not ELF at all is told apart.
 *
 *   test_object [OBJECT]
 *
 * With OBJECT (one `stapjit -p4` wrote), also: it unpacks, and libbpf opens
 * it without a warning about the extra section (open only: no root needed).
 */
#include "../unit/check.h"
#include "bpfload.h"

#include <bpf/libbpf.h>
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static char err[512];

/* An ELF64 little-endian BPF relocatable file with sections: null, .strtab. */
static void *tiny_elf(size_t *size) {
  static const char names[] = "\0.strtab";
  size_t str_off = sizeof(Elf64_Ehdr), sh_off = (str_off + sizeof names + 7) & ~(size_t)7;
  *size = sh_off + 2 * sizeof(Elf64_Shdr);
  unsigned char *b = calloc(1, *size);
  Elf64_Ehdr eh = {.e_type = ET_REL,
                   .e_machine = EM_BPF,
                   .e_version = EV_CURRENT,
                   .e_shoff = sh_off,
                   .e_ehsize = sizeof eh,
                   .e_shentsize = sizeof(Elf64_Shdr),
                   .e_shnum = 2,
                   .e_shstrndx = 1};
  memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  memcpy(b, &eh, sizeof eh);
  memcpy(b + str_off, names, sizeof names);
  Elf64_Shdr sh[2] = {{0},
                      {.sh_name = 1, .sh_type = SHT_STRTAB, .sh_offset = str_off, .sh_size = sizeof names}};
  memcpy(b + sh_off, sh, sizeof sh);
  return b;
}

static const char ir_text[] = "maxstringlen 512\n\nprobe begin seq 0 host \"begin\" -> @p\n";
static const char script[] = "probe begin { x = 1/0 }\n";

static void test_roundtrip(void) {
  check_context = "round trip";
  size_t size, psize;
  void *elf = tiny_elf(&size), *packed = NULL;
  BobjSource src[2] = {{"t.stp", script, sizeof script - 1}, {"my dir/lib.stp", "", 0}};
  const char *settings[2] = {"-DMAXERRORS=5", "-Gx=1"};
  BobjInfo in = {.producer = "stapjit test",
                 .ir = ir_text,
                 .ir_len = sizeof ir_text - 1,
                 .sources = src,
                 .nsources = 2,
                 .settings = settings,
                 .nsettings = 2};
  CHECK_INT(bobj_pack(elf, size, &in, &packed, &psize), 0);
  if (!packed) return;
  CHECK(psize > size);
  /* the old bytes stay; only the header's section-table fields move */
  CHECK(!memcmp((char *)packed + sizeof(Elf64_Ehdr), (char *)elf + sizeof(Elf64_Ehdr),
                size - sizeof(Elf64_Ehdr)));
  BobjInfo out;
  CHECK_INT(bobj_unpack(packed, psize, &out, err, sizeof err), 0);
  CHECK_STR(out.producer, "stapjit test");
  CHECK_INT(out.ir_len, sizeof ir_text - 1);
  CHECK_STR(out.ir, ir_text);
  CHECK_INT(out.nsources, 2);
  if (out.nsources == 2) {
    CHECK_STR(out.sources[0].path, "t.stp");
    CHECK_STR(out.sources[0].text, script);
    CHECK_INT(out.sources[0].len, sizeof script - 1);
    CHECK_STR(out.sources[1].path, "my dir/lib.stp");
    CHECK_INT(out.sources[1].len, 0);
  }
  CHECK_INT(out.nsettings, 2);
  if (out.nsettings == 2) {
    CHECK_STR(out.settings[0], "-DMAXERRORS=5");
    CHECK_STR(out.settings[1], "-Gx=1");
  }
  bobj_info_free(&out);
  void *again = NULL;
  size_t asize;
  CHECK_INT(bobj_pack(packed, psize, &in, &again, &asize), -EEXIST);
  CHECK_INT(bobj_pack(script, sizeof script, &in, &again, &asize), -EINVAL);
  BobjInfo no_ir = in;
  no_ir.ir = NULL;
  CHECK_INT(bobj_pack(elf, size, &no_ir, &again, &asize), -EINVAL);

  check_context = "refusals";
  CHECK_INT(bobj_unpack(elf, size, &out, err, sizeof err), -ENOENT);
  CHECK(strstr(err, "no .stapjit section") != NULL);
  CHECK_INT(bobj_unpack(script, sizeof script, &out, err, sizeof err), -EINVAL);
  CHECK_STR(err, "not an ELF file");
  /* another version: the version word is the 9th to 12th byte of the section */
  unsigned char *v = malloc(psize);
  memcpy(v, packed, psize);
  unsigned char *sec = memmem(v, psize, "STAPJIT", 8);
  CHECK(sec != NULL);
  if (sec) {
    uint32_t two = BOBJ_VERSION + 1;
    memcpy(sec + 8, &two, 4);
    CHECK_INT(bobj_unpack(v, psize, &out, err, sizeof err), -EPROTO);
    char want[64];
    snprintf(want, sizeof want, "format version %d,", BOBJ_VERSION + 1);
    CHECK(strstr(err, want) != NULL);
  }
  /* every damaged byte, every truncation: refused, never a crash */
  int accepted = 0;
  for (size_t k = 0; k < psize; k++) {
    memcpy(v, packed, psize);
    v[k] ^= 0x20;
    if (bobj_unpack(v, psize, &out, err, sizeof err) == 0) accepted++, bobj_info_free(&out);
  }
  CHECK_INT(accepted, 0);
  accepted = 0;
  for (size_t n = 0; n < psize; n++)
    if (bobj_unpack(packed, n, &out, err, sizeof err) == 0) accepted++, bobj_info_free(&out);
  CHECK_INT(accepted, 0);
  memcpy(v, packed, psize);
  v[psize - 1] ^= 1; /* the last byte of the section headers */
  int rc = bobj_unpack(v, psize, &out, err, sizeof err);
  CHECK(rc == -EBADMSG || rc == -ENOENT);
  free(v);
  free(packed);
  free(elf);
}

static int warnings;

static int count_warnings(enum libbpf_print_level level, const char *fmt, va_list ap) {
  if (level == LIBBPF_WARN) {
    warnings++;
    vfprintf(stderr, fmt, ap);
  }
  return 0;
}

static void test_libbpf(const char *path) {
  check_context = path;
  FILE *f = fopen(path, "rb");
  CHECK(f != NULL);
  if (!f) return;
  fseek(f, 0, SEEK_END);
  size_t size = (size_t)ftell(f);
  rewind(f);
  char *data = malloc(size);
  CHECK_INT(fread(data, 1, size, f), size);
  fclose(f);
  BobjInfo info;
  CHECK_INT(bobj_unpack(data, size, &info, err, sizeof err), 0);
  CHECK(info.ir && strstr(info.ir, "maxstringlen") == info.ir);
  CHECK(info.producer && !strncmp(info.producer, "stapjit ", 8));
  bobj_info_free(&info);
  libbpf_set_print(count_warnings);
  struct bpf_object *obj = bpf_object__open_mem(data, size, NULL);
  CHECK(obj != NULL);
  CHECK_INT(warnings, 0);
  if (obj) CHECK(bpf_object__find_map_by_name(obj, "stp_ctl") != NULL);
  bpf_object__close(obj);
  free(data);
}

int main(int argc, char **argv) {
  test_roundtrip();
  if (argc > 1) test_libbpf(argv[1]);
  return check_summary();
}
