/* Preloaded into a model's executable (LD_PRELOAD), reports when the
   process exits: its peak resident set (VmHWM) and the resident pages of
   the shared libraries whose path contains RSS_PROBE_LIBS (the library
   code a run made resident, file-backed and shared with every process
   that maps the same file), in KiB, one "name value" per line, into the
   file RSS_PROBE_OUT.

   build: gcc -O2 -shared -fPIC rss_probe.c -o rss_probe.so */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long status_kib(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f)
    return -1;
  char line[256];
  long value = -1;
  size_t n = strlen(field);
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, field, n) && line[n] == ':') {
      value = strtol(line + n + 1, NULL, 10);
      break;
    }
  fclose(f);
  return value;
}

/* The Rss of the mappings whose path contains `name`. */
static long library_kib(const char *name) {
  FILE *f = fopen("/proc/self/smaps", "r");
  if (!f)
    return -1;
  char line[4096];
  long total = 0;
  int inside = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long start, end;
    char perms[8];
    /* A mapping's header: "start-end perms offset dev inode [path]". */
    if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) == 3) {
      inside = strstr(line, name) != NULL;
      continue;
    }
    if (inside && !strncmp(line, "Rss:", 4))
      total += strtol(line + 4, NULL, 10);
  }
  fclose(f);
  return total;
}

__attribute__((destructor)) static void report(void) {
  const char *out = getenv("RSS_PROBE_OUT");
  const char *libs = getenv("RSS_PROBE_LIBS");
  if (!out || !*out)
    return;
  FILE *f = fopen(out, "w");
  if (!f)
    return;
  fprintf(f, "peak %ld\n", status_kib("VmHWM"));
  fprintf(f, "libraries %ld\n", libs && *libs ? library_kib(libs) : 0L);
  fclose(f);
}
