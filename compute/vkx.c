// vkx.c: see vkx.h.
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include "vkx.h"
#include "_cgo_export.h"

static PFN_vkGetInstanceProcAddr gipa;

int ernLoadLoader(const char* path, char* errbuf, int errlen) {
	if (gipa && !path) return 0;
	const char* names[] = {"libvulkan.so.1", "libvulkan.so"};
	if (path) names[0] = names[1] = path;
	for (int i = 0; i < 2; i++) {
		void* lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
		if (!lib) continue;
		PFN_vkGetInstanceProcAddr p = (PFN_vkGetInstanceProcAddr)dlsym(lib, "vkGetInstanceProcAddr");
		if (p) { gipa = p; return 0; }
	}
	const char* e = dlerror();
	snprintf(errbuf, errlen, "%s", e ? e : "libvulkan.so.1 not found");
	return 1;
}

void ernUseProcAddr(void* p) { gipa = (PFN_vkGetInstanceProcAddr)p; }
void* ernProcAddr(void) { return (void*)gipa; }

static int hasExt(VkInstance inst, VkPhysicalDevice pd, const char* name) {
	PFN_vkEnumerateDeviceExtensionProperties f =
		(PFN_vkEnumerateDeviceExtensionProperties)gipa(inst, "vkEnumerateDeviceExtensionProperties");
	uint32_t n = 0;
	f(pd, NULL, &n, NULL);
	VkExtensionProperties props[n > 0 ? n : 1];
	f(pd, NULL, &n, props);
	for (uint32_t i = 0; i < n; i++)
		if (strcmp(props[i].extensionName, name) == 0) return 1;
	return 0;
}

void ernQueryCaps(VkInstance inst, VkPhysicalDevice pd, ErnCaps* c) {
	memset(c, 0, sizeof *c);
	c->hasCoopMatrixExt = hasExt(inst, pd, "VK_KHR_cooperative_matrix");
	c->hasSwapchainExt = hasExt(inst, pd, "VK_KHR_swapchain");

	PFN_vkGetPhysicalDeviceProperties props1 = (PFN_vkGetPhysicalDeviceProperties)gipa(inst, "vkGetPhysicalDeviceProperties");
	VkPhysicalDeviceProperties p1;
	props1(pd, &p1);
	c->apiVersion = p1.apiVersion;
	if (VK_API_VERSION_MINOR(p1.apiVersion) < 2 && VK_API_VERSION_MAJOR(p1.apiVersion) == 1) return;

	PFN_vkGetPhysicalDeviceFeatures2 feat2 = (PFN_vkGetPhysicalDeviceFeatures2)gipa(inst, "vkGetPhysicalDeviceFeatures2");
	PFN_vkGetPhysicalDeviceProperties2 prop2 = (PFN_vkGetPhysicalDeviceProperties2)gipa(inst, "vkGetPhysicalDeviceProperties2");
	VkPhysicalDeviceVulkan13Features v13 = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES};
	VkPhysicalDeviceVulkan12Features v12 = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
	VkPhysicalDeviceVulkan11Features v11 = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES};
	VkPhysicalDeviceFeatures2 f2 = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
	f2.pNext = &v11;
	v11.pNext = &v12;
	void** tail = &v12.pNext;
	if (VK_API_VERSION_MINOR(p1.apiVersion) >= 3) { *tail = &v13; tail = &v13.pNext; }
	feat2(pd, &f2);
	c->shaderFloat16 = v12.shaderFloat16;
	c->shaderInt8 = v12.shaderInt8;
	c->shaderInt16 = f2.features.shaderInt16;
	c->shaderInt64 = f2.features.shaderInt64;
	c->shaderBufferInt64Atomics = v12.shaderBufferInt64Atomics;
	c->storageBuffer16BitAccess = v11.storageBuffer16BitAccess;
	c->storageBuffer8BitAccess = v12.storageBuffer8BitAccess;
	c->hostQueryReset = v12.hostQueryReset;
	c->vulkanMemoryModel = v12.vulkanMemoryModel;
	c->subgroupSizeControl = v13.subgroupSizeControl;
	c->computeFullSubgroups = v13.computeFullSubgroups;
	c->maintenance4 = v13.maintenance4;

	VkPhysicalDeviceDriverProperties dp = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
	VkPhysicalDeviceSubgroupProperties sp = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
	sp.pNext = &dp;
	VkPhysicalDeviceProperties2 p2 = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
	p2.pNext = &sp;
	prop2(pd, &p2);
	c->subgroupSize = sp.subgroupSize;
	c->subgroupOps = sp.supportedOperations;
	c->subgroupStages = sp.supportedStages;
	snprintf(c->driverName, sizeof c->driverName, "%s", dp.driverName);
	snprintf(c->driverInfo, sizeof c->driverInfo, "%s", dp.driverInfo);
}

VkResult ernCreateDevice(VkInstance inst, VkPhysicalDevice pd, uint32_t family, const ErnEnable* en,
		const char** exts, uint32_t nexts, VkDevice* out) {
	PFN_vkCreateDevice create = (PFN_vkCreateDevice)gipa(inst, "vkCreateDevice");
	VkPhysicalDeviceVulkan13Features v13 = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES};
	v13.subgroupSizeControl = en->subgroupSizeControl;
	v13.computeFullSubgroups = en->subgroupSizeControl;
	v13.maintenance4 = en->maintenance4;
	VkPhysicalDeviceVulkan12Features v12 = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
	v12.shaderFloat16 = en->float16;
	v12.shaderInt8 = en->int8;
	v12.storageBuffer8BitAccess = en->storage8;
	v12.hostQueryReset = en->hostQueryReset;
	v12.shaderBufferInt64Atomics = VK_TRUE;
	VkPhysicalDeviceVulkan11Features v11 = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES};
	v11.storageBuffer16BitAccess = en->storage16;
	VkPhysicalDeviceFeatures2 f2 = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
	f2.features.shaderInt64 = VK_TRUE;
	f2.features.shaderInt16 = VK_TRUE;
	f2.pNext = &v11;
	v11.pNext = &v12;
	if (en->subgroupSizeControl || en->maintenance4) v12.pNext = &v13;
	float prio = 1.0f;
	VkDeviceQueueCreateInfo q = {VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
	q.queueFamilyIndex = family;
	q.queueCount = 1;
	q.pQueuePriorities = &prio;
	VkDeviceCreateInfo ci = {VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
	ci.pNext = &f2;
	ci.queueCreateInfoCount = 1;
	ci.pQueueCreateInfos = &q;
	ci.enabledExtensionCount = nexts;
	ci.ppEnabledExtensionNames = exts;
	return create(pd, &ci, NULL, out);
}

static VKAPI_ATTR VkBool32 VKAPI_CALL ernMessenger(VkDebugUtilsMessageSeverityFlagBitsEXT sev,
		VkDebugUtilsMessageTypeFlagsEXT types, const VkDebugUtilsMessengerCallbackDataEXT* data, void* user) {
	ernDebugMessage((uintptr_t)user, (unsigned)sev, (unsigned)types,
		(char*)(data->pMessageIdName ? data->pMessageIdName : ""), (char*)(data->pMessage ? data->pMessage : ""));
	return VK_FALSE;
}

VkResult ernCreateMessenger(VkInstance inst, uintptr_t tag, VkDebugUtilsMessengerEXT* out) {
	PFN_vkCreateDebugUtilsMessengerEXT f = (PFN_vkCreateDebugUtilsMessengerEXT)gipa(inst, "vkCreateDebugUtilsMessengerEXT");
	if (!f) return VK_ERROR_EXTENSION_NOT_PRESENT;
	VkDebugUtilsMessengerCreateInfoEXT ci = {VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
	ci.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
	ci.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
		VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
	ci.pfnUserCallback = ernMessenger;
	ci.pUserData = (void*)tag;
	return f(inst, &ci, NULL, out);
}

void ernDestroyMessenger(VkInstance inst, VkDebugUtilsMessengerEXT m) {
	PFN_vkDestroyDebugUtilsMessengerEXT f = (PFN_vkDestroyDebugUtilsMessengerEXT)gipa(inst, "vkDestroyDebugUtilsMessengerEXT");
	if (f) f(inst, m, NULL);
}

PFN_vkVoidFunction ernGetInstanceProc(VkInstance inst, const char* name) { return gipa ? gipa(inst, name) : NULL; }
