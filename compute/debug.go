package compute

/*
#include "vkx.h"
*/
import "C"

import (
	"fmt"
	"strings"
	"sync"

	vk "github.com/vulkan-go/vulkan"
)

// A Message is one report of the Khronos validation layer (or the driver) through VK_EXT_debug_utils.
type Message struct {
	Severity string // "warning" or "error"
	ID       string
	Text     string
}

func (m Message) String() string { return fmt.Sprintf("vulkan %s [%s]: %s", m.Severity, m.ID, m.Text) }

// messengers routes callbacks to the device that registered them (the C side only carries an integer tag).
var messengers = struct {
	sync.Mutex
	next uintptr
	sink map[uintptr]*messageLog
}{sink: map[uintptr]*messageLog{}}

type messageLog struct {
	sync.Mutex
	msgs []Message
}

//export ernDebugMessage
func ernDebugMessage(tag C.uintptr_t, sev, types C.uint, id, msg *C.char) {
	m := Message{Severity: "warning", ID: C.GoString(id), Text: C.GoString(msg)}
	if sev&C.VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT != 0 {
		m.Severity = "error"
	}
	messengers.Lock()
	log := messengers.sink[uintptr(tag)]
	messengers.Unlock()
	if log == nil {
		return
	}
	log.Lock()
	log.msgs = append(log.msgs, m)
	log.Unlock()
}

type messenger struct {
	tag    uintptr
	handle C.VkDebugUtilsMessengerEXT
	log    *messageLog
}

func newMessenger(inst vk.Instance) (*messenger, error) {
	messengers.Lock()
	messengers.next++
	m := &messenger{tag: messengers.next, log: &messageLog{}}
	messengers.sink[m.tag] = m.log
	messengers.Unlock()
	if r := C.ernCreateMessenger(C.VkInstance(handle(inst)), C.uintptr_t(m.tag), &m.handle); r != C.VK_SUCCESS {
		return nil, fmt.Errorf("compute: creating the debug messenger: %w", vkError(vk.Result(r)))
	}
	return m, nil
}

func (m *messenger) destroy(inst vk.Instance) {
	C.ernDestroyMessenger(C.VkInstance(handle(inst)), m.handle)
	messengers.Lock()
	delete(messengers.sink, m.tag)
	messengers.Unlock()
}

// drain returns and clears the collected messages.
func (m *messenger) drain() []Message {
	m.log.Lock()
	defer m.log.Unlock()
	out := m.log.msgs
	m.log.msgs = nil
	return out
}

// joinMessages formats messages one per line.
func joinMessages(ms []Message) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = m.String()
	}
	return strings.Join(s, "\n")
}
