/*
 * message.h — how a value given by the caller is quoted in an error message. A value is shown
 * whole up to MESSAGE_VALUE_CHARS characters; a longer one is cut there and ends with "…", so a
 * megabyte of input never comes back whole in a message (or in the server log). The SQL
 * functions use the same rule through supervise.message_value(text).
 */
#ifndef SUPERVISE_MESSAGE_H
#define SUPERVISE_MESSAGE_H

#define MESSAGE_VALUE_CHARS 64

/* s (a NUL-terminated string in the database encoding) as shown in a message; palloc'd or s */
extern const char *message_value(const char *s);

#endif
