/* object.c: saved objects: the BPF ELF object that `stapjit -p4` writes and
 * `stapjit-run` loads, with what the loader needs besides the programs in a
 * section of its own.
 *
 * The object is LLVM's BPF ELF with one more section, ".stapjit": not
 * allocated (SHT_PROGBITS, no flags), so libbpf skips it as an unknown data
 * section (it logs "skipping unrecognized data section" at info level) and
 * the bytes go to libbpf as they are.  Appending it keeps every existing
 * section where it was: the section goes after the old end of the file, then
 * a copy of the section-name table with ".stapjit" added, then the section
 * headers (the old ones, the name table's pointing at its copy, plus one).
 *
 * The section, all integers little-endian:
 *
 *   offset  size
 *   0       8    magic "STAPJIT\0"
 *   8       4    format version (BOBJ_VERSION)
 *   12      4    CRC-32 (the zlib/IEEE one) of the whole file, these 4 bytes
 *                counted as zero: any damaged byte, ELF or ours, is caught
 *   16      8    size of the section, header included
 *   24      4    number of entries
 *   28      4    zero
 *   32      ...  entries, each at a multiple of 8 from the section's start:
 *                  u32 kind, u32 name length, u64 data length,
 *                  name, NUL, data, NUL, zeros up to a multiple of 8
 *
 * Kinds: 1 producer (data: "stapjit VERSION"), 2 IR (data: ir_print_module's
 * text of the module the programs were generated from), 3 source (name: the
 * path as messages show it, data: the file's text), 4 setting (data: the
 * driver's "NAME=VALUE", opaque here).  One producer and one IR; sources and
 * settings in any number.
 *
 * Versions.  The first 12 bytes keep their meaning in every version; the rest
 * of the section, the IR text form (ir/print.c) and the contract between the
 * generated code and the loader (layout.c: maps, records, BpfCtl) belong to
 * the version, and a change to any of them must bump BOBJ_VERSION.  A reader
 * refuses every version but its own, saying which.
 *
 * This file knows bytes only: no libbpf, no IR.
 */
#include "bpfload.h"

#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "object.c reads and writes the little-endian (bpfel) ELF in place: a big-endian host needs byte swaps"
#endif

enum {
  HDR_SIZE = 32,
  OFF_VERSION = 8,
  OFF_CRC = 12,
  OFF_SIZE = 16,
  OFF_COUNT = 24,
  ENTRY_HDR = 16,
  KIND_PRODUCER = 1,
  KIND_IR = 2,
  KIND_SOURCE = 3,
  KIND_SETTING = 4,
};

static const char magic[8] = "STAPJIT";
static const char sec_name[] = ".stapjit";

/* ---- CRC-32 ----------------------------------------------------------------------- */

static uint32_t crc_table[256];

static void crc_init(void) {
  if (crc_table[1]) return;
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    crc_table[n] = c;
  }
}

static uint32_t crc_update(uint32_t crc, const unsigned char *p, size_t n) {
  crc = ~crc;
  while (n--) crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

/* CRC of data with the 4 bytes at zero_at counted as zeros. */
static uint32_t crc_file(const unsigned char *data, size_t size, size_t zero_at) {
  static const unsigned char zeros[4];
  crc_init();
  uint32_t c = crc_update(0, data, zero_at);
  c = crc_update(c, zeros, 4);
  return crc_update(c, data + zero_at + 4, size - zero_at - 4);
}

/* ---- the ELF ---------------------------------------------------------------------- */

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return rc;
}

static bool in_file(uint64_t off, uint64_t len, size_t size) { return off <= size && len <= size - off; }

/* The section headers of a 64-bit little-endian ELF file, checked to lie in it. */
static int elf_sections(const unsigned char *data, size_t size, Elf64_Ehdr *eh, const Elf64_Shdr **sh,
                        char *err, size_t errlen) {
  if (size < sizeof *eh || memcmp(data, ELFMAG, SELFMAG) != 0)
    return fail(err, errlen, -EINVAL, "not an ELF file");
  memcpy(eh, data, sizeof *eh);
  if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_BPF)
    return fail(err, errlen, -EINVAL, "not a little-endian BPF ELF object");
  if (eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shnum == 0 || eh->e_shstrndx >= eh->e_shnum ||
      !in_file(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), size) || eh->e_shoff % 8)
    return fail(err, errlen, -EBADMSG, "its ELF section headers are damaged");
  *sh = (const Elf64_Shdr *)(data + eh->e_shoff);
  const Elf64_Shdr *st = &(*sh)[eh->e_shstrndx];
  if (st->sh_type != SHT_STRTAB || !in_file(st->sh_offset, st->sh_size, size) || st->sh_size == 0 ||
      data[st->sh_offset + st->sh_size - 1] != 0)
    return fail(err, errlen, -EBADMSG, "its ELF section names are damaged");
  return 0;
}

/* ---- writing ---------------------------------------------------------------------- */

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

static size_t entry_size(size_t name_len, size_t data_len) {
  return pad8(ENTRY_HDR + name_len + 1 + data_len + 1);
}

static unsigned char *put_entry(unsigned char *p, uint32_t kind, const char *name, size_t name_len,
                                const char *data, size_t data_len) {
  uint32_t nl = (uint32_t)name_len;
  uint64_t dl = data_len;
  memcpy(p, &kind, 4);
  memcpy(p + 4, &nl, 4);
  memcpy(p + 8, &dl, 8);
  unsigned char *q = p + ENTRY_HDR;
  if (name_len) memcpy(q, name, name_len);
  q[name_len] = 0;
  q += name_len + 1;
  if (data_len) memcpy(q, data, data_len);
  q[data_len] = 0;
  return p + entry_size(name_len, data_len); /* the buffer is zeroed: the padding is too */
}

int bobj_pack(const void *elf, size_t size, const BobjInfo *info, void **out, size_t *out_size) {
  const unsigned char *in = elf;
  Elf64_Ehdr eh;
  const Elf64_Shdr *sh;
  *out = NULL;
  *out_size = 0;
  if (!info || !info->ir || !info->producer) return -EINVAL;
  if (elf_sections(in, size, &eh, &sh, NULL, 0) != 0) return -EINVAL;
  for (int k = 0; k < eh.e_shnum; k++)
    if (sh[k].sh_name < sh[eh.e_shstrndx].sh_size &&
        !strcmp((const char *)in + sh[eh.e_shstrndx].sh_offset + sh[k].sh_name, sec_name))
      return -EEXIST;
  if (eh.e_shnum + 1 >= SHN_LORESERVE) return -E2BIG;

  size_t sec = HDR_SIZE + entry_size(0, strlen(info->producer)) + entry_size(0, info->ir_len);
  for (int k = 0; k < info->nsources; k++)
    sec += entry_size(strlen(info->sources[k].path), info->sources[k].len);
  for (int k = 0; k < info->nsettings; k++) sec += entry_size(0, strlen(info->settings[k]));
  const Elf64_Shdr *oldstr = &sh[eh.e_shstrndx];
  size_t sec_off = pad8(size), str_off = sec_off + sec, str_size = oldstr->sh_size + sizeof sec_name;
  size_t sh_off = pad8(str_off + str_size), total = sh_off + (size_t)(eh.e_shnum + 1) * sizeof(Elf64_Shdr);
  unsigned char *buf = calloc(1, total);
  if (!buf) return -ENOMEM;

  memcpy(buf, in, size);
  unsigned char *p = buf + sec_off;
  uint32_t version = BOBJ_VERSION, count = 2 + (uint32_t)info->nsources + (uint32_t)info->nsettings;
  uint64_t sec64 = sec;
  memcpy(p, magic, 8);
  memcpy(p + OFF_VERSION, &version, 4);
  memcpy(p + OFF_SIZE, &sec64, 8);
  memcpy(p + OFF_COUNT, &count, 4);
  p += HDR_SIZE;
  p = put_entry(p, KIND_PRODUCER, NULL, 0, info->producer, strlen(info->producer));
  p = put_entry(p, KIND_IR, NULL, 0, info->ir, info->ir_len);
  for (int k = 0; k < info->nsources; k++) {
    const BobjSource *s = &info->sources[k];
    p = put_entry(p, KIND_SOURCE, s->path, strlen(s->path), s->text, s->len);
  }
  for (int k = 0; k < info->nsettings; k++)
    p = put_entry(p, KIND_SETTING, NULL, 0, info->settings[k], strlen(info->settings[k]));

  memcpy(buf + str_off, in + oldstr->sh_offset, oldstr->sh_size);
  memcpy(buf + str_off + oldstr->sh_size, sec_name, sizeof sec_name);
  Elf64_Shdr *nsh = (Elf64_Shdr *)(buf + sh_off);
  memcpy(nsh, sh, (size_t)eh.e_shnum * sizeof *nsh);
  nsh[eh.e_shstrndx].sh_offset = str_off;
  nsh[eh.e_shstrndx].sh_size = str_size;
  nsh[eh.e_shnum] = (Elf64_Shdr){.sh_name = (Elf64_Word)oldstr->sh_size,
                                 .sh_type = SHT_PROGBITS,
                                 .sh_offset = sec_off,
                                 .sh_size = sec,
                                 .sh_addralign = 8};
  eh.e_shoff = sh_off;
  eh.e_shnum++;
  memcpy(buf, &eh, sizeof eh);

  uint32_t crc = crc_file(buf, total, sec_off + OFF_CRC);
  memcpy(buf + sec_off + OFF_CRC, &crc, 4);
  *out = buf;
  *out_size = total;
  return 0;
}

/* ---- reading ---------------------------------------------------------------------- */

void bobj_info_free(BobjInfo *info) {
  if (!info) return;
  free(info->sources);
  free(info->settings);
  memset(info, 0, sizeof *info);
}

/* Where the .stapjit section is, or an error. */
static int find_section(const unsigned char *d, size_t size, size_t *off, size_t *len, char *err,
                        size_t errlen) {
  Elf64_Ehdr eh;
  const Elf64_Shdr *sh;
  int rc = elf_sections(d, size, &eh, &sh, err, errlen);
  if (rc) return rc;
  const Elf64_Shdr *st = &sh[eh.e_shstrndx];
  for (int k = 0; k < eh.e_shnum; k++) {
    if (sh[k].sh_name >= st->sh_size || strcmp((const char *)d + st->sh_offset + sh[k].sh_name, sec_name))
      continue;
    if (!in_file(sh[k].sh_offset, sh[k].sh_size, size) || sh[k].sh_size < HDR_SIZE)
      return fail(err, errlen, -EBADMSG, "its %s section is damaged", sec_name);
    *off = sh[k].sh_offset;
    *len = sh[k].sh_size;
    return 0;
  }
  return fail(
      err, errlen, -ENOENT,
      "it has no %s section: not an object of `stapjit -p4` (a BPF object from elsewhere, or one written "
      "before objects carried their script)",
      sec_name);
}

static int add_source(BobjInfo *info, BobjSource src) {
  BobjSource *v = realloc(info->sources, sizeof *v * (size_t)(info->nsources + 1));
  if (!v) return -ENOMEM;
  info->sources = v;
  v[info->nsources++] = src;
  return 0;
}

static int add_setting(BobjInfo *info, const char *text) {
  const char **v = realloc(info->settings, sizeof *v * (size_t)(info->nsettings + 1));
  if (!v) return -ENOMEM;
  info->settings = v;
  v[info->nsettings++] = text;
  return 0;
}

int bobj_unpack(const void *data, size_t size, BobjInfo *info, char *err, size_t errlen) {
  const unsigned char *d = data;
  memset(info, 0, sizeof *info);
  size_t off = 0, len = 0;
  int rc = find_section(d, size, &off, &len, err, errlen);
  if (rc) return rc;
  const unsigned char *s = d + off;
  uint32_t version, crc, count;
  uint64_t sec_size;
  memcpy(&version, s + OFF_VERSION, 4);
  memcpy(&crc, s + OFF_CRC, 4);
  if (memcmp(s, magic, 8) != 0)
    return fail(err, errlen, -EBADMSG, "its %s section is damaged (bad magic)", sec_name);
  if (version != BOBJ_VERSION)
    return fail(
        err, errlen, -EPROTO,
        "it is a stapjit object of format version %u, and this program reads version %d only: run it with "
        "the stapjit-run of the stapjit that wrote it, or compile the script again",
        version, BOBJ_VERSION);
  if (crc_file(d, size, off + OFF_CRC) != crc)
    return fail(err, errlen, -EBADMSG, "it is damaged: its checksum does not match its contents");
  memcpy(&sec_size, s + OFF_SIZE, 8);
  memcpy(&count, s + OFF_COUNT, 4);
  if (sec_size != len) return fail(err, errlen, -EBADMSG, "its %s section is damaged (size)", sec_name);
  const char *why = NULL;
  size_t pos = HDR_SIZE;
  for (uint32_t k = 0; k < count && !rc && !why; k++) {
    uint32_t kind, nl;
    uint64_t dl;
    if (len - pos < ENTRY_HDR) {
      why = "an entry is cut short";
      break;
    }
    memcpy(&kind, s + pos, 4);
    memcpy(&nl, s + pos + 4, 4);
    memcpy(&dl, s + pos + 8, 8);
    const char *name = (const char *)s + pos + ENTRY_HDR;
    if (nl > len || dl > len || entry_size(nl, dl) > len - pos || name[nl] != 0 || name[nl + 1 + dl] != 0) {
      why = "an entry is damaged";
      break;
    }
    const char *text = name + nl + 1;
    switch (kind) {
    case KIND_PRODUCER: info->producer = text; break;
    case KIND_IR:
      info->ir = text;
      info->ir_len = dl;
      break;
    case KIND_SOURCE: rc = add_source(info, (BobjSource){name, text, dl}); break;
    case KIND_SETTING: rc = add_setting(info, text); break;
    default: why = "an entry is of an unknown kind"; break;
    }
    pos += entry_size(nl, dl);
  }
  if (!rc && !why && (!info->ir || !info->producer)) why = "it lacks the IR of its script";
  if (!rc && !why) return 0;
  bobj_info_free(info);
  return rc ? fail(err, errlen, rc, "%s", strerror(-rc)) : fail(err, errlen, -EBADMSG, "%s", why);
}
