// vkcmd.c: see vkcmd.h.
#include <stdlib.h>
#include <string.h>
#include "vkcmd.h"

PFN_vkVoidFunction ernGetInstanceProc(VkInstance inst, const char* name);

struct ErnDeviceFns {
	PFN_vkCmdPipelineBarrier barrier;
	PFN_vkCmdCopyBuffer copy;
	PFN_vkAllocateDescriptorSets alloc;
	PFN_vkUpdateDescriptorSets update;
	PFN_vkCmdBindDescriptorSets bind;
	PFN_vkQueueSubmit submit;
	PFN_vkCreateComputePipelines pipelines;
	PFN_vkCreateDescriptorSetLayout setLayout;
	PFN_vkCreatePipelineLayout pipeLayout;
	PFN_vkCreateDescriptorPool pool;
};

ErnDeviceFns* ernLoadDeviceFns(VkInstance inst, VkDevice dev) {
	PFN_vkGetDeviceProcAddr gdpa = (PFN_vkGetDeviceProcAddr)ernGetInstanceProc(inst, "vkGetDeviceProcAddr");
	if (!gdpa) return NULL;
	ErnDeviceFns* f = calloc(1, sizeof(ErnDeviceFns));
	if (!f) return NULL;
	f->barrier = (PFN_vkCmdPipelineBarrier)gdpa(dev, "vkCmdPipelineBarrier");
	f->copy = (PFN_vkCmdCopyBuffer)gdpa(dev, "vkCmdCopyBuffer");
	f->alloc = (PFN_vkAllocateDescriptorSets)gdpa(dev, "vkAllocateDescriptorSets");
	f->update = (PFN_vkUpdateDescriptorSets)gdpa(dev, "vkUpdateDescriptorSets");
	f->bind = (PFN_vkCmdBindDescriptorSets)gdpa(dev, "vkCmdBindDescriptorSets");
	f->submit = (PFN_vkQueueSubmit)gdpa(dev, "vkQueueSubmit");
	f->pipelines = (PFN_vkCreateComputePipelines)gdpa(dev, "vkCreateComputePipelines");
	f->setLayout = (PFN_vkCreateDescriptorSetLayout)gdpa(dev, "vkCreateDescriptorSetLayout");
	f->pipeLayout = (PFN_vkCreatePipelineLayout)gdpa(dev, "vkCreatePipelineLayout");
	f->pool = (PFN_vkCreateDescriptorPool)gdpa(dev, "vkCreateDescriptorPool");
	if (!f->barrier || !f->copy || !f->alloc || !f->update || !f->bind || !f->submit || !f->pipelines ||
		!f->setLayout || !f->pipeLayout || !f->pool) {
		free(f);
		return NULL;
	}
	return f;
}

void ernFreeDeviceFns(ErnDeviceFns* f) { free(f); }

void ernCmdMemoryBarrier(ErnDeviceFns* f, VkCommandBuffer cb, VkPipelineStageFlags src, VkPipelineStageFlags dst,
	VkAccessFlags srcAccess, VkAccessFlags dstAccess) {
	VkMemoryBarrier b = {VK_STRUCTURE_TYPE_MEMORY_BARRIER, NULL, srcAccess, dstAccess};
	f->barrier(cb, src, dst, 0, 1, &b, 0, NULL, 0, NULL);
}

void ernCmdCopyBuffer(ErnDeviceFns* f, VkCommandBuffer cb, VkBuffer src, VkDeviceSize srcOff, VkBuffer dst,
	VkDeviceSize dstOff, VkDeviceSize size) {
	VkBufferCopy r = {srcOff, dstOff, size};
	f->copy(cb, src, dst, 1, &r);
}

VkResult ernAllocateDescriptorSet(ErnDeviceFns* f, VkDevice dev, VkDescriptorPool pool, VkDescriptorSetLayout layout,
	VkDescriptorSet* out) {
	VkDescriptorSetAllocateInfo ai = {VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO, NULL, pool, 1, &layout};
	return f->alloc(dev, &ai, out);
}

enum { ernMaxBindings = 32 };

void ernWriteStorageBuffers(ErnDeviceFns* f, VkDevice dev, VkDescriptorSet set, uint32_t n, const VkBuffer* bufs,
	const VkDeviceSize* offsets, const VkDeviceSize* ranges) {
	VkDescriptorBufferInfo info[ernMaxBindings];
	VkWriteDescriptorSet w[ernMaxBindings];
	if (n > ernMaxBindings) n = ernMaxBindings; // the Go side refuses more
	for (uint32_t i = 0; i < n; i++) {
		info[i].buffer = bufs[i];
		info[i].offset = offsets[i];
		info[i].range = ranges[i];
		memset(&w[i], 0, sizeof w[i]);
		w[i].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
		w[i].dstSet = set;
		w[i].dstBinding = i;
		w[i].descriptorCount = 1;
		w[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
		w[i].pBufferInfo = &info[i];
	}
	f->update(dev, n, w, 0, NULL);
}

void ernCmdBindDescriptorSet(ErnDeviceFns* f, VkCommandBuffer cb, VkPipelineLayout layout, VkDescriptorSet set) {
	f->bind(cb, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, &set, 0, NULL);
}

VkResult ernQueueSubmit(ErnDeviceFns* f, VkQueue q, VkCommandBuffer cb, VkFence fence) {
	VkSubmitInfo si;
	memset(&si, 0, sizeof si);
	si.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO;
	si.commandBufferCount = 1;
	si.pCommandBuffers = &cb;
	return f->submit(q, 1, &si, fence);
}

enum { ernMaxSpec = 32 };

VkResult ernCreateComputePipeline(ErnDeviceFns* f, VkDevice dev, VkPipelineCache cache, VkShaderModule module,
	VkPipelineLayout layout, uint32_t nspec, const uint32_t* specIDs, const uint32_t* specValues, VkPipeline* out) {
	VkSpecializationMapEntry entries[ernMaxSpec];
	uint32_t values[ernMaxSpec];
	if (nspec > ernMaxSpec) return VK_ERROR_INITIALIZATION_FAILED;
	for (uint32_t i = 0; i < nspec; i++) {
		entries[i].constantID = specIDs[i];
		entries[i].offset = 4 * i;
		entries[i].size = 4;
		values[i] = specValues[i];
	}
	VkSpecializationInfo spec = {nspec, entries, 4 * nspec, values};
	VkComputePipelineCreateInfo ci;
	memset(&ci, 0, sizeof ci);
	ci.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO;
	ci.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
	ci.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
	ci.stage.module = module;
	ci.stage.pName = "main";
	ci.stage.pSpecializationInfo = nspec > 0 ? &spec : NULL;
	ci.layout = layout;
	return f->pipelines(dev, cache, 1, &ci, NULL, out);
}

VkResult ernCreateStorageSetLayout(ErnDeviceFns* f, VkDevice dev, uint32_t n, VkDescriptorSetLayout* out) {
	VkDescriptorSetLayoutBinding b[ernMaxBindings];
	if (n > ernMaxBindings) return VK_ERROR_INITIALIZATION_FAILED;
	for (uint32_t i = 0; i < n; i++) {
		memset(&b[i], 0, sizeof b[i]);
		b[i].binding = i;
		b[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
		b[i].descriptorCount = 1;
		b[i].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
	}
	VkDescriptorSetLayoutCreateInfo ci;
	memset(&ci, 0, sizeof ci);
	ci.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO;
	ci.bindingCount = n;
	ci.pBindings = n > 0 ? b : NULL;
	return f->setLayout(dev, &ci, NULL, out);
}

VkResult ernCreatePipelineLayout(ErnDeviceFns* f, VkDevice dev, VkDescriptorSetLayout dsl, uint32_t pushLen,
	VkPipelineLayout* out) {
	VkPushConstantRange pr = {VK_SHADER_STAGE_COMPUTE_BIT, 0, pushLen};
	VkPipelineLayoutCreateInfo ci;
	memset(&ci, 0, sizeof ci);
	ci.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO;
	ci.setLayoutCount = 1;
	ci.pSetLayouts = &dsl;
	if (pushLen > 0) {
		ci.pushConstantRangeCount = 1;
		ci.pPushConstantRanges = &pr;
	}
	return f->pipeLayout(dev, &ci, NULL, out);
}

VkResult ernCreateStoragePool(ErnDeviceFns* f, VkDevice dev, uint32_t maxSets, uint32_t descriptors,
	VkDescriptorPool* out) {
	VkDescriptorPoolSize size = {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, descriptors};
	VkDescriptorPoolCreateInfo ci;
	memset(&ci, 0, sizeof ci);
	ci.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO;
	ci.maxSets = maxSets;
	ci.poolSizeCount = 1;
	ci.pPoolSizes = &size;
	return f->pool(dev, &ci, NULL, out);
}

struct ErnPresentFns {
	PFN_vkCmdPipelineBarrier barrier;
	PFN_vkCmdCopyBufferToImage copy;
	PFN_vkCmdClearColorImage clear;
	PFN_vkCmdBlitImage blit;
	PFN_vkQueueSubmit submit;
	PFN_vkQueuePresentKHR present;
};

ErnPresentFns* ernLoadPresentFns(VkInstance inst, VkDevice dev) {
	PFN_vkGetDeviceProcAddr gdpa = (PFN_vkGetDeviceProcAddr)ernGetInstanceProc(inst, "vkGetDeviceProcAddr");
	if (!gdpa) return NULL;
	ErnPresentFns* f = calloc(1, sizeof(ErnPresentFns));
	if (!f) return NULL;
	f->barrier = (PFN_vkCmdPipelineBarrier)gdpa(dev, "vkCmdPipelineBarrier");
	f->copy = (PFN_vkCmdCopyBufferToImage)gdpa(dev, "vkCmdCopyBufferToImage");
	f->clear = (PFN_vkCmdClearColorImage)gdpa(dev, "vkCmdClearColorImage");
	f->blit = (PFN_vkCmdBlitImage)gdpa(dev, "vkCmdBlitImage");
	f->submit = (PFN_vkQueueSubmit)gdpa(dev, "vkQueueSubmit");
	f->present = (PFN_vkQueuePresentKHR)gdpa(dev, "vkQueuePresentKHR");
	if (!f->barrier || !f->copy || !f->clear || !f->blit || !f->submit || !f->present) {
		free(f);
		return NULL;
	}
	return f;
}

void ernFreePresentFns(ErnPresentFns* f) { free(f); }

static const VkImageSubresourceRange ernColorRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};

void ernCmdImageBarrier(ErnPresentFns* f, VkCommandBuffer cb, VkImage img, VkImageLayout from, VkImageLayout to,
	VkAccessFlags src, VkAccessFlags dst, VkPipelineStageFlags srcStage, VkPipelineStageFlags dstStage) {
	VkImageMemoryBarrier b;
	memset(&b, 0, sizeof b);
	b.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER;
	b.srcAccessMask = src;
	b.dstAccessMask = dst;
	b.oldLayout = from;
	b.newLayout = to;
	b.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
	b.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
	b.image = img;
	b.subresourceRange = ernColorRange;
	f->barrier(cb, srcStage, dstStage, 0, 0, NULL, 0, NULL, 1, &b);
}

void ernCmdCopyBufferToImage(ErnPresentFns* f, VkCommandBuffer cb, VkBuffer buf, VkDeviceSize off, uint32_t rowLength,
	VkImage img, uint32_t w, uint32_t h) {
	VkBufferImageCopy r;
	memset(&r, 0, sizeof r);
	r.bufferOffset = off;
	r.bufferRowLength = rowLength;
	r.imageSubresource.aspectMask = VK_IMAGE_ASPECT_COLOR_BIT;
	r.imageSubresource.layerCount = 1;
	r.imageExtent.width = w;
	r.imageExtent.height = h;
	r.imageExtent.depth = 1;
	f->copy(cb, buf, img, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &r);
}

void ernCmdClearColorImage(ErnPresentFns* f, VkCommandBuffer cb, VkImage img) {
	VkClearColorValue black;
	memset(&black, 0, sizeof black);
	f->clear(cb, img, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &black, 1, &ernColorRange);
}

void ernCmdBlitImage(ErnPresentFns* f, VkCommandBuffer cb, VkImage src, int32_t sw, int32_t sh, VkImage dst, int32_t x0,
	int32_t y0, int32_t x1, int32_t y1, VkFilter filter) {
	VkImageBlit b;
	memset(&b, 0, sizeof b);
	b.srcSubresource.aspectMask = VK_IMAGE_ASPECT_COLOR_BIT;
	b.srcSubresource.layerCount = 1;
	b.srcOffsets[1].x = sw;
	b.srcOffsets[1].y = sh;
	b.srcOffsets[1].z = 1;
	b.dstSubresource = b.srcSubresource;
	b.dstOffsets[0].x = x0;
	b.dstOffsets[0].y = y0;
	b.dstOffsets[1].x = x1;
	b.dstOffsets[1].y = y1;
	b.dstOffsets[1].z = 1;
	f->blit(cb, src, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, dst, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &b, filter);
}

VkResult ernQueueSubmitWaitSignal(ErnPresentFns* f, VkQueue q, VkCommandBuffer cb, VkSemaphore wait,
	VkPipelineStageFlags waitStage, VkSemaphore signal, VkFence fence) {
	VkSubmitInfo si;
	memset(&si, 0, sizeof si);
	si.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO;
	si.waitSemaphoreCount = 1;
	si.pWaitSemaphores = &wait;
	si.pWaitDstStageMask = &waitStage;
	si.commandBufferCount = 1;
	si.pCommandBuffers = &cb;
	si.signalSemaphoreCount = 1;
	si.pSignalSemaphores = &signal;
	return f->submit(q, 1, &si, fence);
}

VkResult ernQueuePresent(ErnPresentFns* f, VkQueue q, VkSemaphore wait, VkSwapchainKHR swap, uint32_t index) {
	VkPresentInfoKHR pi;
	memset(&pi, 0, sizeof pi);
	pi.sType = VK_STRUCTURE_TYPE_PRESENT_INFO_KHR;
	pi.waitSemaphoreCount = 1;
	pi.pWaitSemaphores = &wait;
	pi.swapchainCount = 1;
	pi.pSwapchains = &swap;
	pi.pImageIndices = &index;
	return f->present(q, &pi);
}
