/* launcher.c - the installed `trainwatch` command: a small program linked against libc alone
 * that runs the real monitor, installed beside it (TW_LAUNCHER_PROGRAM, relative to this
 * program's own directory, found through /proc/self/exe, never through PATH).
 *
 * Before it exec()s the monitor it loads, with dlopen(), every library the monitor's ELF
 * dynamic section names (DT_NEEDED): a missing one (zstd, ncursesw, or one of theirs) is then
 * said in one line naming the Debian, Fedora and Homebrew packages that provide it
 * (providers.h), with exit status 127, instead of the dynamic loader's "error while loading
 * shared libraries" before main. (libzmq is not among them: the monitor loads it when it
 * first needs it, and says the same of it then: zmq_load.h.) When they all load it execv()s
 * the monitor with the same arguments: no second process stays, so exit statuses and signals
 * are the monitor's own. Anything it cannot read (not an ELF of its own class) is not checked,
 * just run. */
#define _GNU_SOURCE
#include "launcher_config.h"
#include "providers.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_NEEDED 64
#define MAX_STRTAB (1 << 20)

/* What the monitor needs: its DT_NEEDED names and its DT_RUNPATH (or DT_RPATH), pointing
 * into strtab. */
struct needs {
    char *strtab;
    const char *needed[MAX_NEEDED];
    size_t n_needed;
    const char *runpath;
};

static int
read_at(int fd, void *buf, size_t len, off_t at)
{
    return pread(fd, buf, len, at) == (ssize_t)len ? 0 : -1;
}

/* The file offset of virtual address addr, through the program's PT_LOAD segments. */
static int
file_offset(const ElfW(Phdr) * ph, int n, ElfW(Addr) addr, off_t *out)
{
    for (int i = 0; i < n; i++)
        if (ph[i].p_type == PT_LOAD && addr >= ph[i].p_vaddr &&
            addr - ph[i].p_vaddr < ph[i].p_filesz) {
            *out = (off_t)(ph[i].p_offset + (addr - ph[i].p_vaddr));
            return 0;
        }
    return -1;
}

/* The dynamic section's entries into *needs; 0, or -1 when it is not what this expects. */
static int
read_dynamic(int fd, const ElfW(Phdr) * ph, int n, struct needs *needs)
{
    const ElfW(Phdr) *dyn = NULL;
    for (int i = 0; i < n; i++)
        if (ph[i].p_type == PT_DYNAMIC)
            dyn = &ph[i];
    if (!dyn || dyn->p_filesz > 64 * 1024)
        return -1;
    ElfW(Dyn) d[4096];
    size_t nd = dyn->p_filesz / sizeof *d;
    if (read_at(fd, d, nd * sizeof *d, (off_t)dyn->p_offset) != 0)
        return -1;
    ElfW(Addr) strtab = 0;
    size_t strsz = 0, needed[MAX_NEEDED], run = (size_t)-1;
    for (size_t i = 0; i < nd && d[i].d_tag != DT_NULL; i++) {
        if (d[i].d_tag == DT_STRTAB)
            strtab = d[i].d_un.d_ptr;
        else if (d[i].d_tag == DT_STRSZ)
            strsz = d[i].d_un.d_val;
        else if (d[i].d_tag == DT_NEEDED && needs->n_needed < MAX_NEEDED)
            needed[needs->n_needed++] = d[i].d_un.d_val;
        else if (d[i].d_tag == DT_RUNPATH || (d[i].d_tag == DT_RPATH && run == (size_t)-1))
            run = d[i].d_un.d_val;
    }
    off_t at;
    if (strsz == 0 || strsz > MAX_STRTAB || file_offset(ph, n, strtab, &at) != 0 ||
        !(needs->strtab = malloc(strsz + 1)) || read_at(fd, needs->strtab, strsz, at) != 0)
        return -1;
    needs->strtab[strsz] = '\0';
    for (size_t i = 0; i < needs->n_needed; i++) {
        if (needed[i] >= strsz)
            return -1;
        needs->needed[i] = needs->strtab + needed[i];
    }
    needs->runpath = run < strsz ? needs->strtab + run : NULL;
    return 0;
}

/* What the ELF file at path needs; 0, or -1 when it cannot tell (then nothing is checked). */
static int
read_needs(const char *path, struct needs *needs)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ElfW(Ehdr) eh;
    ElfW(Phdr) ph[64];
    int rc = -1;
    if (read_at(fd, &eh, sizeof eh, 0) == 0 && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
        eh.e_ident[EI_CLASS] == (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32) &&
        eh.e_phentsize == sizeof *ph && eh.e_phnum > 0 && eh.e_phnum <= 64 &&
        read_at(fd, ph, eh.e_phnum * sizeof *ph, (off_t)eh.e_phoff) == 0)
        rc = read_dynamic(fd, ph, eh.e_phnum, needs);
    close(fd);
    return rc;
}

/* dlopen()s name as the loader would find it for the program in dir: the default search,
 * then the program's run path ($ORIGIN is dir). On failure err holds dlerror()'s text: the
 * search's, or a run path's library's own missing library. */
static void *
load(const char *name, const char *runpath, const char *dir, char *err, size_t errsize)
{
    void *h = dlopen(name, RTLD_LAZY | RTLD_LOCAL);
    if (h)
        return h;
    const char *e = dlerror();
    snprintf(err, errsize, "%s", e ? e : "");
    if (!runpath || strchr(name, '/'))
        return NULL;
    char path[PATH_MAX];
    for (const char *p = runpath; *p;) {
        const char *entry = p;
        size_t len = strcspn(p, ":");
        p += len + (p[len] == ':');
        const char *origin = len >= 7 && strncmp(entry, "$ORIGIN", 7) == 0 ? dir : "";
        size_t skip = *origin ? 7 : 0;
        if (snprintf(path, sizeof path, "%s%.*s/%s", origin, (int)(len - skip), entry + skip,
                     name) >= (int)sizeof path)
            continue;
        if ((h = dlopen(path, RTLD_LAZY | RTLD_LOCAL)))
            return h;
        /* found there but one of its own libraries is not: that is the one to name */
        if ((e = dlerror()) && strncmp(e, path, strlen(path)) != 0)
            snprintf(err, errsize, "%s", e);
    }
    return NULL;
}

/* The one line for a library that did not load: err is dlerror()'s text. */
static void
say_missing(const char *needed, const char *err)
{
    char what[PATH_MAX + 600];
    if (tw_provider_missing(what, sizeof what, needed, err))
        fprintf(stderr, "trainwatch needs %s\n", what);
    else
        fprintf(stderr, "trainwatch: cannot load %s: %s\n", needed, err);
}

/* The monitor's path: TW_LAUNCHER_PROGRAM, relative to this program's own directory unless
 * it is absolute. */
static int
program_path(const char *argv0, char *out, size_t size)
{
    if (TW_LAUNCHER_PROGRAM[0] == '/')
        return snprintf(out, size, "%s", TW_LAUNCHER_PROGRAM) < (int)size ? 0 : -1;
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0)
        self[n] = '\0';
    else if (!strchr(argv0, '/') || !realpath(argv0, self))
        return -1; /* no /proc and no path in argv[0]: never searched for on PATH */
    char *slash = strrchr(self, '/');
    *slash = '\0';
    return snprintf(out, size, "%s/%s", self, TW_LAUNCHER_PROGRAM) < (int)size ? 0 : -1;
}

int
main(int argc, char **argv)
{
    (void)argc;
    char path[PATH_MAX];
    if (program_path(argv[0] ? argv[0] : "", path, sizeof path) != 0) {
        fprintf(stderr, "trainwatch: cannot tell where this program is (no /proc/self/exe), "
                        "so not where the monitor is\n");
        return 127;
    }
    struct needs needs = {0};
    if (read_needs(path, &needs) == 0) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", path);
        *strrchr(dir, '/') = '\0';
        char err[PATH_MAX + 200];
        for (size_t i = 0; i < needs.n_needed; i++)
            if (!load(needs.needed[i], needs.runpath, dir, err, sizeof err)) {
                say_missing(needs.needed[i], err);
                free(needs.strtab);
                return 127;
            }
    }
    free(needs.strtab);
    execv(path, argv);
    int e = errno;
    fprintf(stderr, "trainwatch: cannot run the monitor, %s: %s%s\n", path, strerror(e),
            e == ENOENT ? " (installed beside this command: reinstall trainwatch)" : "");
    return e == ENOENT ? 127 : 126;
}
