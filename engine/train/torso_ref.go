package train

// TorsoCompositeRef is the reference of torso_composite_train_fwd (spec §9.3, §10.3): per batch pixel i with
// a = mask_i·alpha_i (mask nil: 1), pred_c = a·rgb_c + (1 − a)·bc[pix_i]_c, and target_c = gt[pix_i]_c.
func TorsoCompositeRef(alpha, rgb []float64, pix, mask []uint32, bc, gt []float32) (pred, target []float64) {
	n := len(alpha)
	pred, target = make([]float64, 3*n), make([]float64, 3*n)
	for i := range n {
		p := int(pix[i])
		a := alpha[i]
		if mask != nil && mask[i] == 0 {
			a = 0
		}
		for c := range 3 {
			pred[3*i+c] = a*rgb[3*i+c] + (1-a)*float64(bc[3*p+c])
			target[3*i+c] = float64(gt[3*p+c])
		}
	}
	return pred, target
}

// TorsoCompositeBackwardRef is the reference of torso_composite_train_bwd: dL/dalpha and dL/drgb of
// TorsoCompositeRef's pred for upstream dPred [N, 3].
func TorsoCompositeBackwardRef(alpha, rgb []float64, pix, mask []uint32, bc []float32, dPred []float64) (dAlpha, dRGB []float64) {
	n := len(alpha)
	dAlpha, dRGB = make([]float64, n), make([]float64, 3*n)
	for i := range n {
		if mask != nil && mask[i] == 0 {
			continue
		}
		p := int(pix[i])
		for c := range 3 {
			g := dPred[3*i+c]
			dRGB[3*i+c] = alpha[i] * g
			dAlpha[i] += g * (rgb[3*i+c] - float64(bc[3*p+c]))
		}
	}
	return dAlpha, dRGB
}

// AnchorRegRef is the reference of torso_anchor_reg: the stage-3 anchor term mean_k (1 − w_k)² of anchor_points
// a [K, 4] and its gradient with respect to a.
func AnchorRegRef(a []float64) (loss float64, dA []float64) {
	k := len(a) / 4
	dA = make([]float64, len(a))
	for j := range k {
		u := 1 - a[4*j+3]
		loss += u * u / float64(k)
		dA[4*j+3] = -2 * u / float64(k)
	}
	return loss, dA
}

// TorsoFrameRef is the reference of torso_composite_infer: the whole frame's background [H·W, 3], the torso over
// bc, with a = mask_p·alpha_p (mask nil: 1).
func TorsoFrameRef(alpha, rgb []float64, mask []uint32, bc []float32) []float64 {
	out := make([]float64, 3*len(alpha))
	for p, a := range alpha {
		if mask != nil && mask[p] == 0 {
			a = 0
		}
		for c := range 3 {
			out[3*p+c] = a*rgb[3*p+c] + (1-a)*float64(bc[3*p+c])
		}
	}
	return out
}
