// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * sigevent notification. Notes are collected under pa.lock and sent after
 * it is dropped, in the order they were collected: each batch takes a turn
 * under pa.lock and waits for it before sending, so a drain that collected
 * later cannot send ahead of one still sending (a list's note would
 * overtake its entries'). Nobody waits for a turn holding pa.lock.
 * SIGEV_SIGNAL queues the signal to the process with
 * si_code SI_ASYNCIO, SIGEV_THREAD runs the function in a new thread.
 * Other kinds (SIGEV_NONE, anything unknown) send nothing, as in glibc.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "posixaio.h"

void pa_note_add(struct pa_note **notes, const struct sigevent *sev)
{
	struct pa_note *note;

	if (sev->sigev_notify != SIGEV_SIGNAL && sev->sigev_notify != SIGEV_THREAD)
		return;
	note = malloc(sizeof(*note));
	if (!note)
		return;
	note->sigev = *sev;
	note->pid = pa.pid;
	note->next = *notes;
	*notes = note;
}

static void send_signal(const struct pa_note *note)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_signo = note->sigev.sigev_signo;
	si.si_code = SI_ASYNCIO;
	si.si_pid = note->pid;
	si.si_uid = getuid();
	si.si_value = note->sigev.sigev_value;
	syscall(SYS_rt_sigqueueinfo, note->pid, si.si_signo, &si);
}

static void *thread_main(void *arg)
{
	struct pa_note *note = arg;
	void (*fn)(union sigval) = note->sigev.sigev_notify_function;
	union sigval value = note->sigev.sigev_value;

	free(note);
	fn(value);
	return NULL;
}

/*
 * The thread starts with every signal blocked, whoever finished the
 * request: it belongs to no application thread.
 */
static void start_thread(struct pa_note *note)
{
	pthread_attr_t *attr = note->sigev.sigev_notify_attributes;
	pthread_attr_t detached;
	int state = PTHREAD_CREATE_DETACHED;
	sigset_t all, old;
	pthread_t t;

	/* The application's attributes if it gave some, else detached. */
	if (!attr) {
		pthread_attr_init(&detached);
		pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED);
	} else {
		pthread_attr_getdetachstate(attr, &state);
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&t, attr ? attr : &detached, thread_main, note) == 0) {
		/* Nobody joins it: detach a joinable one now. */
		if (state == PTHREAD_CREATE_JOINABLE)
			pthread_detach(t);
	} else {
		free(note);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!attr)
		pthread_attr_destroy(&detached);
}

static void send_all(struct pa_note *notes)
{
	struct pa_note *note, *reversed = NULL;

	/* pa_note_add() pushes at the head. */
	while ((note = notes)) {
		notes = note->next;
		note->next = reversed;
		reversed = note;
	}
	notes = reversed;
	while ((note = notes)) {
		notes = note->next;
		if (note->sigev.sigev_notify == SIGEV_SIGNAL) {
			send_signal(note);
			free(note);
		} else {
			start_thread(note);
		}
	}
}

/*
 * Send notes, collected under pa.lock (which this drops), after every
 * batch collected before them. Signals are blocked from before the turn
 * is taken to its end: a handler that ran on this thread in the middle
 * of its turn and submitted, or waited in aio_suspend() for a request
 * whose drain waits for this turn, would wait for ever. Its callers run
 * with cancellation disabled (pa_cancel_off(): the library's entries and
 * glibc's callback; the reaper is the library's own thread): a thread
 * canceled in the wait for its turn would never end it, and every later
 * note would wait.
 */
void pa_notes_send_unlock(struct pa_note *notes)
{
	sigset_t all, old;
	uint64_t turn;

	if (!notes) {
		pthread_mutex_unlock(&pa.lock);
		return;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	turn = pa.send_next++;
	pthread_mutex_unlock(&pa.lock);

	pthread_mutex_lock(&pa.send_lock);
	while (pa.send_turn != turn)
		pthread_cond_wait(&pa.send_cond, &pa.send_lock);
	pthread_mutex_unlock(&pa.send_lock);

	send_all(notes);

	pthread_mutex_lock(&pa.send_lock);
	pa.send_turn++;
	pthread_cond_broadcast(&pa.send_cond);
	pthread_mutex_unlock(&pa.send_lock);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}
