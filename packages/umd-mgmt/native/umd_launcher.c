/*
 * umd-launcher: starts a handler contained, in one exec. It does what the program chain does
 * (setpriv for the parent-death signal, unshare for the PID namespace, the dash supervisor,
 * setpriv for the handler's credentials, env for its signals; src/process/containment.ts),
 * because on a small VM every exec of that chain costs about a millisecond of a cold start.
 *
 *   umd-launcher --parent=PID [--pid-namespace [--user-namespace]] [--uid=N --gid=N]
 *                -- /absolute/handler [args...]
 *   umd-launcher --parent=PID --trial [the same options]   (all but the exec; 0 if it works)
 *
 * With --pid-namespace it stays as the supervisor: it unshares a PID namespace and forks that
 * namespace's first process, a minimal init (run_init), which forks the handler as pid 2 in a
 * process group of its own. The kernel gives a namespace's init only the signals it handles and
 * none of their default actions (pid_namespaces(7)): a handler that were pid 1 would live through
 * SIGTERM, its abort() would not end it, and its orphans would stay zombies. The init passes the
 * signals that reach it on to the handler's group, reaps every process that ends in the namespace,
 * and when the handler ends tells the supervisor how (its wait status, on a pipe), then exits: the
 * kernel kills what is left. Both let go of the handler's stdin, stdout and stderr; the
 * supervisor waits out the signals the init passes on (they reach both from the process group)
 * and ends as the handler ended: its exit code, or its signal raised again. Without
 * --pid-namespace, it becomes the handler.
 *
 * Every failure is one line on stderr starting "Error: " (what the manager's stderr-cause reader
 * reports) and exit code 125; a handler that cannot be executed gives 126 (127: not found).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define EXIT_LAUNCHER 125

struct plan {
  pid_t parent;
  int pid_namespace;
  int user_namespace;
  int drop;  /* --uid and --gid given */
  int trial; /* everything but the exec: whether this kernel and process allow it */
  uid_t uid;
  gid_t gid;
  char **command;
};

static void fail(const char *what) {
  dprintf(2, "Error: umd-launcher: %s: %s\n", what, strerror(errno));
  _exit(EXIT_LAUNCHER);
}

static void usage(const char *what) {
  dprintf(2, "Error: umd-launcher: %s\n", what);
  _exit(EXIT_LAUNCHER);
}

/* A decimal id of at most `max`, digits only (no sign, space or base prefix). */
static unsigned long parse_number(const char *text, unsigned long max) {
  if (*text < '0' || *text > '9') usage("an id is not a decimal number");
  char *end;
  errno = 0;
  unsigned long value = strtoul(text, &end, 10);
  if (errno != 0 || *end != '\0' || value > max) usage("an id is out of range");
  return value;
}

static struct plan parse(int argc, char **argv) {
  struct plan plan = {0};
  int has_uid = 0, has_gid = 0, i;
  for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
    const char *arg = argv[i];
    if (strncmp(arg, "--parent=", 9) == 0)
      plan.parent = (pid_t)parse_number(arg + 9, 0x3fffffff);
    else if (strncmp(arg, "--uid=", 6) == 0)
      plan.uid = (uid_t)parse_number(arg + 6, 0xfffffffe), has_uid = 1;
    else if (strncmp(arg, "--gid=", 6) == 0)
      plan.gid = (gid_t)parse_number(arg + 6, 0xfffffffe), has_gid = 1;
    else if (strcmp(arg, "--pid-namespace") == 0)
      plan.pid_namespace = 1;
    else if (strcmp(arg, "--user-namespace") == 0)
      plan.user_namespace = 1;
    else if (strcmp(arg, "--trial") == 0)
      plan.trial = 1;
    else
      usage("unknown option");
  }
  if (has_uid != has_gid) usage("--uid and --gid go together");
  if (plan.user_namespace && !plan.pid_namespace) usage("--user-namespace needs --pid-namespace");
  if (plan.parent <= 1) usage("no --parent");
  /* Never a PATH lookup: the manager passes the staged blob's or Node's absolute path. */
  if (plan.trial) return plan;
  if (i + 1 >= argc || argv[i + 1][0] != '/') usage("no absolute handler path after --");
  plan.drop = has_uid;
  plan.command = argv + i + 1;
  return plan;
}

/* Closes descriptors first..last (close_range, or one by one from /proc before Linux 5.9). */
static void close_fds(unsigned int first, unsigned int last) {
  if (first > last) return;
  if (syscall(SYS_close_range, first, last, 0) == 0) return;
  if (errno != ENOSYS) fail("close_range");
  DIR *dir = opendir("/proc/self/fd");
  if (dir == NULL) fail("opendir /proc/self/fd");
  struct dirent *entry;
  while ((entry = readdir(dir)) != NULL) {
    char *end;
    unsigned long fd = strtoul(entry->d_name, &end, 10);
    if (*end == '\0' && fd >= first && fd <= last && (int)fd != dirfd(dir)) close((int)fd);
  }
  closedir(dir);
}

/* setpriv --clear-groups --regid --reuid --inh-caps=-all, in the order that works as root. */
static void drop_credentials(const struct plan *plan) {
  if (setgroups(0, NULL) != 0) fail("setgroups");
  if (setresgid(plan->gid, plan->gid, plan->gid) != 0) fail("setresgid");
  if (setresuid(plan->uid, plan->uid, plan->uid) != 0) fail("setresuid");
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct caps[2];
  if (syscall(SYS_capget, &header, caps) != 0) fail("capget");
  caps[0].inheritable = caps[1].inheritable = 0;
  if (syscall(SYS_capset, &header, caps) != 0) fail("capset");
  /* EINVAL: a kernel before 4.3, which has no ambient set. */
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    fail("clear ambient capabilities");
}

/* Every disposition back to its default and nothing blocked, as a handler started by Node's
 * spawn would have them (a shell ignores SIGINT and SIGQUIT in a background command). */
static void default_signals(void) {
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    /* EINVAL: the C library's own real-time signals (32 and 33 in glibc). */
    if (sigaction(sig, &dfl, NULL) != 0 && errno != EINVAL) fail("sigaction");
  }
  sigset_t none;
  sigemptyset(&none);
  if (sigprocmask(SIG_SETMASK, &none, NULL) != 0) fail("sigprocmask");
}

/*
 * Whether the parent is still there, checked after the parent-death signal is armed (one that
 * died before never fires it). `supervisor` is the read end of a pipe whose write end only the
 * supervisor holds, whose end of file means it died; or -1: then the parent must be `parent`.
 */
static void check_parent(int supervisor, pid_t parent) {
  if (supervisor >= 0) {
    char byte;
    ssize_t got = read(supervisor, &byte, 1);
    if (got == 0) _exit(1);
    if (got < 0 && errno != EAGAIN) fail("read the supervisor's pipe");
  } else if (getppid() != parent) {
    _exit(1);
  }
}

/* Becomes the handler; its parent must be `parent` (see check_parent). */
static void run_handler(const struct plan *plan, pid_t parent) {
  if (plan->drop) drop_credentials(plan);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("no_new_privs");
  /* After the credential change, which clears it; exec keeps it (no set-id binary runs). */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) fail("pdeathsig");
  check_parent(-1, parent);
  close_fds(3, ~0U);
  default_signals();
  if (plan->trial) _exit(0);
  execve(plan->command[0], plan->command, environ);
  int code = errno == ENOENT ? 127 : 126;
  dprintf(2, "Error: umd-launcher: cannot run %s: %s\n", plan->command[0], strerror(errno));
  _exit(code);
}

/* Ends as the handler ended: its exit code, or the same signal (without a core of its own); a
 * real-time signal as the exit code 128 plus it: Node names none, and reports a process one
 * ended as exit code 0, a clean end. */
static void end_as(int status) {
  if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
  int sig = WTERMSIG(status);
  if (sig >= 32) _exit(128 + sig);
  struct rlimit none = {0, 0};
  setrlimit(RLIMIT_CORE, &none);
  signal(sig, SIG_DFL);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, sig);
  sigprocmask(SIG_UNBLOCK, &only, NULL);
  kill(getpid(), sig);
  _exit(128 + sig); /* a signal whose default is not to end a process */
}

/*
 * The signals the init passes on to the handler's process group, and the supervisor waits out:
 * those a person or program sends, not those the kernel aims at the process itself (SIGCHLD,
 * SIGPIPE, SIGSEGV and the like, terminal and timer signals); real-time ones too.
 */
static const int PASSED[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGUSR1, SIGUSR2,
                             SIGALRM, SIGTERM, SIGCONT, SIGWINCH, SIGPWR};

static void passed_signals(sigset_t *set) {
  sigemptyset(set);
  for (size_t i = 0; i < sizeof PASSED / sizeof PASSED[0]; i++) sigaddset(set, PASSED[i]);
  for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++) sigaddset(set, sig);
}

/* /dev/null (`null`) as stdin, stdout and stderr; every other descriptor closed but `keep`
 * and `also` (-1: none). */
static void let_go_of_stdio(int null, int keep, int also) {
  if (dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0) _exit(EXIT_LAUNCHER);
  unsigned int low = (unsigned int)(also < keep ? also : keep);
  unsigned int high = (unsigned int)(also < keep ? keep : also);
  if (also < 0) low = high = (unsigned int)keep;
  close_fds(3, low - 1);
  close_fds(low + 1, high - 1);
  close_fds(high + 1, ~0U);
}

/*
 * The namespace's pid 1. Signals in `waited` (those passed on, and SIGCHLD) come blocked from
 * the supervisor and stay so: a blocked signal is queued even for an init (the kernel drops only
 * those whose action would be the default), and sigwaitinfo takes them one by one. The handler
 * unblocks them before its exec (default_signals). Its exit status goes to `report`.
 */
static void run_init(const struct plan *plan, int supervisor, int report, int null,
                     const sigset_t *waited) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) fail("pdeathsig");
  check_parent(supervisor, 0);
  pid_t handler = fork();
  if (handler < 0) fail("fork");
  if (handler == 0) {
    /* Its own group, so that what is passed on reaches its children too, and only once. */
    if (setpgid(0, 0) != 0) fail("setpgid");
    run_handler(plan, 1);
  }
  /* Also here, so that a signal passed on before the child's own call finds the group. */
  setpgid(handler, handler);
  let_go_of_stdio(null, report, -1);
  for (;;) {
    int sig = sigwaitinfo(waited, NULL);
    if (sig < 0) continue; /* EINTR: SIGSTOP then SIGCONT */
    if (sig != SIGCHLD) {
      /* Its group, and the handler itself if it left that group. */
      if (kill(-handler, sig) != 0 || getpgid(handler) != handler) kill(handler, sig);
      continue;
    }
    int status;
    pid_t ended;
    while ((ended = waitpid(-1, &status, WNOHANG)) > 0) {
      if (ended != handler) continue; /* an orphan of the namespace, reaped */
      if (WIFSTOPPED(status)) {
        /* A ptrace stop (waitpid reports those without WUNTRACED): the handler made this init
         * its tracer (PTRACE_TRACEME) and stopped at a signal. Let go of it, the signal
         * delivered as if it were not traced (but the SIGTRAP of its next exec, its own). */
        int sig = WSTOPSIG(status);
        ptrace(PTRACE_DETACH, handler, NULL, (void *)(long)(sig == SIGTRAP ? 0 : sig));
        continue;
      }
      if (write(report, &status, sizeof status) != sizeof status) _exit(EXIT_LAUNCHER);
      _exit(0); /* the kernel kills the rest of the namespace */
    }
  }
}

static void supervise(const struct plan *plan) {
  /* Blocked over the fork: one that comes before the init waits for it stays pending for it (a
   * fork does not pass pending signals on, the mask it does), and is lost here. */
  sigset_t waited;
  passed_signals(&waited);
  sigaddset(&waited, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &waited, NULL) != 0) fail("sigprocmask");
  int alive[2], report[2];
  if (pipe2(alive, O_CLOEXEC | O_NONBLOCK) != 0 || pipe2(report, O_CLOEXEC) != 0) fail("pipe2");
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) fail("open /dev/null");
  if (unshare(CLONE_NEWPID | (plan->user_namespace ? CLONE_NEWUSER : 0)) != 0) fail("unshare");
  pid_t init = fork();
  if (init < 0) fail("fork");
  if (init == 0) {
    if (close(alive[1]) != 0 || close(report[0]) != 0) fail("close");
    run_init(plan, alive[0], report[1], null, &waited);
  }
  if (close(alive[0]) != 0 || close(report[1]) != 0) fail("close");
  /* What the init passes on reaches this process too, from the process group: waited out. */
  struct sigaction ignore;
  memset(&ignore, 0, sizeof ignore);
  ignore.sa_handler = SIG_IGN;
  sigset_t passed;
  passed_signals(&passed);
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGCONT && sigismember(&passed, sig) == 1 && sigaction(sig, &ignore, NULL) != 0)
      fail("sigaction");
  if (sigprocmask(SIG_UNBLOCK, &waited, NULL) != 0) fail("sigprocmask");
  /* Lets go of the handler's stdio (and every descriptor but the two pipes): the host sees a
   * handler that closes its stdout at once. */
  let_go_of_stdio(null, report[0], alive[1]);
  int status;
  while (waitpid(init, &status, 0) < 0)
    if (errno != EINTR) _exit(EXIT_LAUNCHER);
  /* The handler's status, or (an init that was killed, or failed) the init's own. */
  int handler;
  if (read(report[0], &handler, sizeof handler) == sizeof handler) status = handler;
  end_as(status);
}

int main(int argc, char **argv) {
  /* It runs what its arguments say as whoever they name, trusting its caller, the host. Set-id
   * (or with file capabilities), any local user would be that caller: a root shell for all. */
  if (getauxval(AT_SECURE) != 0)
    usage("runs set-user-ID or set-group-ID (or with file capabilities): refused");
  struct plan plan = parse(argc, argv);
  /* The host's death ends this process from here on; one before this line is seen below. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) fail("pdeathsig");
  if (getppid() != plan.parent) _exit(1);
  if (plan.pid_namespace) supervise(&plan);
  else run_handler(&plan, plan.parent);
  return EXIT_LAUNCHER;
}
