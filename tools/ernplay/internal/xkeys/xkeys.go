// Package xkeys sends key presses to an X11 window by name (XSendEvent), so tests can drive the player's window
// on a private X server without xdotool. It is imported by tests only.
package xkeys

/*
#cgo LDFLAGS: -lX11
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <stdlib.h>
#include <string.h>

// find returns the first top-level window whose name contains sub, or 0.
static Window find(Display *d, const char *sub) {
	Window root = DefaultRootWindow(d), r, p, *kids = NULL, found = 0;
	unsigned int n = 0;
	if (!XQueryTree(d, root, &r, &p, &kids, &n)) return 0;
	for (unsigned int i = 0; i < n && !found; i++) {
		char *name = NULL;
		if (XFetchName(d, kids[i], &name) && name) {
			if (strstr(name, sub)) found = kids[i];
			XFree(name);
		}
	}
	if (kids) XFree(kids);
	return found;
}

static int press(const char *display, const char *sub, const char *key) {
	Display *d = XOpenDisplay(display);
	if (!d) return -1;
	Window w = find(d, sub);
	if (!w) { XCloseDisplay(d); return -2; }
	KeySym sym = XStringToKeysym(key);
	if (sym == NoSymbol) { XCloseDisplay(d); return -3; }
	XKeyEvent e;
	memset(&e, 0, sizeof e);
	e.display = d; e.window = w; e.root = DefaultRootWindow(d); e.subwindow = None;
	e.time = CurrentTime; e.same_screen = True; e.keycode = XKeysymToKeycode(d, sym);
	e.type = KeyPress;
	XSendEvent(d, w, True, KeyPressMask, (XEvent *)&e);
	e.type = KeyRelease;
	XSendEvent(d, w, True, KeyReleaseMask, (XEvent *)&e);
	XFlush(d);
	XCloseDisplay(d);
	return 0;
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Press sends a key press and release (key is an X keysym name: "f", "space", "q", "Escape") to the first
// top-level window on display whose name contains name.
func Press(display, name, key string) error {
	cd, cn, ck := C.CString(display), C.CString(name), C.CString(key)
	defer C.free(unsafe.Pointer(cd))
	defer C.free(unsafe.Pointer(cn))
	defer C.free(unsafe.Pointer(ck))
	switch C.press(cd, cn, ck) {
	case 0:
		return nil
	case -1:
		return fmt.Errorf("xkeys: cannot open display %q", display)
	case -2:
		return fmt.Errorf("xkeys: no window named %q on %s", name, display)
	default:
		return fmt.Errorf("xkeys: unknown key %q", key)
	}
}
